// Structured logs: one JSON line per event on stdout (or a given stream).

/** Severity of a log event. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

/** A logger writing one JSON object per line. */
export interface Logger {
  (level: Level, event: string, fields?: Record<string, unknown>): void;
}

/** A logger writing JSON lines to a stream; `quiet` drops debug and info. */
export function jsonLogger(out: NodeJS.WritableStream = process.stdout, quiet = false): Logger {
  return (level, event, fields = {}) => {
    if (quiet && (level === 'debug' || level === 'info')) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }, (_k, v: unknown) => (v instanceof Error ? { message: v.message, code: (v as { code?: string }).code, stack: v.stack } : v));
    out.write(line + '\n');
  };
}

/** A logger that drops everything. */
export const silentLogger: Logger = () => undefined;
