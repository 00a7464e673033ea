// Structured logs: one event per line on stdout (or a given stream). Machines get one JSON object
// per line; a person at a terminal gets the same events as readable lines, the few start-up events
// as sentences, and the first start's admin token set apart so that it is not missed.

/** Severity of a log event. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

/** How events are written: JSON lines for machines, or text for a person. */
export type LogFormat = 'json' | 'text';

/** A logger writing one event per line. */
export interface Logger {
  (level: Level, event: string, fields?: Record<string, unknown>): void;
}

const errorFields = (_k: string, v: unknown) =>
  v instanceof Error ? { message: v.message, code: (v as { code?: string }).code, stack: v.stack } : v;

/** A logger writing JSON lines to a stream; `quiet` drops debug and info. */
export function jsonLogger(out: NodeJS.WritableStream = process.stdout, quiet = false): Logger {
  return (level, event, fields = {}) => {
    if (quiet && (level === 'debug' || level === 'info')) return;
    out.write(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields }, errorFields) + '\n');
  };
}

/** A field value as text: plain when it reads plainly, else JSON (errors by their message). */
function show(v: unknown): string {
  if (v instanceof Error) return JSON.stringify(v.message);
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/** The sentence of an event a person watches for at start-up, or null for the generic `event key=value` form. */
function sentence(event: string, f: Record<string, unknown>): string | null {
  switch (event) {
    case 'listening': {
      const peers = Array.isArray(f['peers']) && f['peers'].length > 0 ? `peers: ${f['peers'].join(', ')}` : 'no peers';
      const judged = f['validation'] === 'on' ? 'every push judged by the rules' : 'ref rules only';
      return `CCR ${show(f['version'])} serves ${show(f['data'])} on ${show(f['url'])} (${judged}; ${peers})`;
    }
    case 'admin-created':
      return typeof f['token'] === 'string' && f['token'].startsWith('ccr_')
        ? `created the admin principal; its token is shown this once, keep it safe:\n\n    ${f['token']}\n`
        : 'created the admin principal with the token of CCR_ADMIN_TOKEN';
    case 'data-folder-created':
      return `created the data folder ${show(f['data'])}`;
    case 'shutting-down':
      return `shutting down (${show(f['inflight'])} requests in flight)`;
    case 'stopped':
      return 'stopped';
    default:
      return null;
  }
}

/** A logger writing readable lines (`time LEVEL what`), for a person at a terminal; `quiet` drops debug and info. */
export function textLogger(out: NodeJS.WritableStream = process.stdout, quiet = false): Logger {
  return (level, event, fields = {}) => {
    if (quiet && (level === 'debug' || level === 'info')) return;
    const time = new Date().toISOString().replace('T', ' ').slice(0, 19);
    const what =
      sentence(event, fields) ?? [event, ...Object.entries(fields).map(([k, v]) => `${k}=${show(v)}`)].join(' ');
    out.write(`${time} ${level.toUpperCase().padEnd(5)} ${what}\n`);
  };
}

/** The logger of a format. */
export function logger(format: LogFormat, out: NodeJS.WritableStream = process.stdout, quiet = false): Logger {
  return format === 'text' ? textLogger(out, quiet) : jsonLogger(out, quiet);
}

/** A logger that drops everything. */
export const silentLogger: Logger = () => undefined;
