// Exit codes of the `ccr` command, in a module of their own so that `ccr --help` and `ccr --version`
// need nothing else to exit.

/** Exit codes: 0 done, 1 refused or failed, 2 wrong usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
