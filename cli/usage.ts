// The commands of `ccr` and their one-line summaries: the usage text, in a module of its own so that
// `ccr --help` prints it without loading any command (cli/main.ts holds what each one runs).

/** Each command's name and summary, in the order the usage lists them. */
export const summaries: Record<string, string> = {
  login: "keep your token for a server in git's credential helper",
  logout: "remove your token for a server from git's credential helper",
  clone: 'clone a record from a server',
  config: 'set or show who you are and where you work',
  thread: 'create, list, show or update threads',
  message: 'add a message or a correction to a thread',
  status: 'show or change the record status',
  push: 'push your new commits to the server',
  pull: 'bring in what others pushed (fast-forward only)',
  verify: 'check the whole history of a record offline',
  receipt: "check a signed push receipt against the server's key",
  export: 'export the record as FHIR R4',
  serve: 'run the CCR git server',
  sync: 'run one sync round with peer sites',
  principal: 'add, list or remove principals of a data folder, and their tokens',
  records: 'list the records you take part in on a server',
  record: 'create a record in a data folder',
  doctor: "check a server's machine and data folder, and say what to fix",
};

/** The usage text of `ccr`. */
export function usage(): string {
  return `usage: ccr <command> [options]   (ccr <command> --help for details and an example; ccr --version)\n\n${Object.entries(
    summaries,
  )
    .map(([n, summary]) => `  ${n.padEnd(12)} ${summary}`)
    .join('\n')}\n`;
}
