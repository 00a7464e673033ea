// Command-line plumbing shared by the commands: option parsing, help, output, exit codes.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isCcrError, RuleViolation } from '../core/errors.js';
import { formatFinding } from '../core/findings.js';

/** Exit codes: 0 done, 1 refused or failed, 2 wrong usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A usage error: printed with the command's help, exit 2. */
export class UsageError extends Error {}

/** One command: its help text (with an example) and what it runs. */
export interface Command {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

/** Parse a command's arguments strictly. */
export function parse(cmd: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: { ...cmd.options, help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Print a result: JSON for scripts, or the human text. */
export function out(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human + (human.endsWith('\n') ? '' : '\n'));
}

/** Print an error the way a person can act on it; gives the exit code. */
export function fail(e: unknown, json: boolean): number {
  if (e instanceof UsageError) {
    process.stderr.write(`ccr: ${e.message}\n`);
    return EXIT.usage;
  }
  if (isCcrError(e)) {
    if (json) process.stdout.write(JSON.stringify({ error: { code: e.code, message: e.message, ...(e instanceof RuleViolation ? { findings: e.findings } : {}) } }, null, 2) + '\n');
    else if (e instanceof RuleViolation) process.stderr.write(`ccr: refused:\n${e.findings.map((f) => `  ${formatFinding(f)}`).join('\n')}\n`);
    else process.stderr.write(`ccr: ${e.code}: ${e.message}\n`);
    return EXIT.failed;
  }
  process.stderr.write(`ccr: ${(e as Error)?.stack ?? String(e)}\n`);
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
