// The default limits of git traffic that the server and `ccr sync` share: the largest push (and so
// the most a peer may send in one sync round) and the budget of one sync round. The server's
// options start from these (server/index.ts `defaults`); the command uses them when it runs alone.

/** The largest push the server takes, and the most a peer may send in one round (bytes). */
export const DEFAULT_MAX_PUSH_BYTES = 256 * 1024 * 1024;

/** A sync round's budget (ms): every network operation of a round ends by then. */
export const DEFAULT_SYNC_TIMEOUT_MS = 30_000;
