// Command-line plumbing shared by the commands: option parsing, help, output, exit codes.

import { constants as fsConstants, promises as fs } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { hintOf, isCcrError, RuleViolation } from '../core/errors.js';
import { formatFinding } from '../core/findings.js';
import { explainSystemError } from './explain.js';
import { EXIT } from './exit.js';

/** Exit codes: 0 done, 1 refused or failed, 2 wrong usage (cli/exit.ts). */
export { EXIT };

/** A usage error (a missing or bad argument): printed with a pointer to the command's help, exit 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A failure a person can act on: what happened, and what to do (`hint`); exit 1. */
export class Failure extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** One command: its help text (with an example) and what it runs. */
export interface Command {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

/** Parse a command's arguments strictly. */
export function parse(cmd: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...cmd.options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Print a result: JSON for scripts, or the human text. */
export function out(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human + (human.endsWith('\n') ? '' : '\n'));
}

/** Write what went wrong and what to do: one line each, never a stack (CCR_DEBUG=1 shows it). */
function say(message: string, hint: string | undefined): void {
  process.stderr.write(`ccr: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
}

/** Print an error the way a person can act on it; gives the exit code. */
export function fail(e: unknown, json: boolean): number {
  if (process.env['CCR_DEBUG']) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  if (e instanceof UsageError) {
    say(e.message, e.hint);
    return EXIT.usage;
  }
  if (isCcrError(e)) {
    const hint = hintOf(e);
    if (json)
      process.stdout.write(
        JSON.stringify(
          {
            error: {
              code: e.code,
              message: e.message,
              ...(hint ? { hint } : {}),
              ...(e instanceof RuleViolation ? { findings: e.findings } : {}),
            },
          },
          null,
          2,
        ) + '\n',
      );
    else if (e instanceof RuleViolation)
      process.stderr.write(`ccr: refused:\n${e.findings.map((f) => `  ${formatFinding(f)}`).join('\n')}\n`);
    // An error that says what to do reads as a sentence; the code is for scripts (--json) and the others.
    else say(hint ? e.message : `${e.code}: ${e.message}`, hint);
    return EXIT.failed;
  }
  const system = e instanceof Failure ? { message: e.message, hint: e.hint } : explainSystemError(e);
  const explained = system ?? {
    message: `internal error: ${(e as Error)?.message ?? String(e)}`,
    hint: 'this is a bug in ccr; run the command again with CCR_DEBUG=1 to see where it happened, and report it',
  };
  const code =
    e instanceof Failure ? 'Failure' : system ? ((e as NodeJS.ErrnoException).code ?? 'Failure') : 'Internal';
  if (json)
    process.stdout.write(
      JSON.stringify(
        { error: { code, message: explained.message, ...(explained.hint ? { hint: explained.hint } : {}) } },
        null,
        2,
      ) + '\n',
    );
  else say(explained.message, explained.hint);
  return EXIT.failed;
}

/** A string option, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A required string option. */
export function need(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** The data folder: --data, CCR_DATA, or ./data. */
export function dataDir(v: unknown): string {
  return str(v) ?? process.env['CCR_DATA'] ?? './data';
}

const WHERE = 'give --data (or CCR_DATA) the folder the server serves';

/**
 * The data folder of --data, checked: it is a folder this user can write. With `create`, a
 * missing one is made (and `created` says so); otherwise it is a failure that says what to do.
 */
export async function openDataDir(v: unknown, create: boolean): Promise<{ path: string; created: boolean }> {
  const path = dataDir(v);
  const st = await fs.stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw e;
  });
  let created = false;
  if (!st) {
    if (!create)
      throw new Failure(`there is no data folder at ${path}`, `${WHERE}; ccr serve --data ${path} creates a new one`);
    await fs.mkdir(path, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'EEXIST' || e.code === 'ENOTDIR')
        throw new Failure(`cannot create the data folder ${path}: part of the path is a file`, WHERE);
      if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS')
        throw new Failure(
          `cannot create the data folder ${path}: ${e.code === 'EROFS' ? 'read-only file system' : 'permission denied'}`,
          `create it as a user who may, or ${WHERE}`,
        );
      throw e;
    });
    created = true;
  } else if (!st.isDirectory()) throw new Failure(`${path} is a file, not a data folder`, WHERE);
  await fs.access(path, fsConstants.W_OK | fsConstants.X_OK).catch(() => {
    throw new Failure(
      `cannot write to the data folder ${path} (permission denied)`,
      `run ccr as the user that owns it (uid ${st?.uid ?? '?'}), or ${WHERE}`,
    );
  });
  return { path, created };
}
