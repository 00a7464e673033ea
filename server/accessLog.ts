// The durable access log: one JSON line per request under <data>/, appended and fsynced before
// the response completes. Concurrent requests share one write and one fsync (group commit).

import { promises as fs, writeSync } from 'node:fs';
import type { IdentityLogEntry } from './identity/audit.js';
import type { ReceiptLogEntry } from './receipts.js';

/** One access log entry: who, from where, what, and the outcome. */
export interface AccessEntry {
  time: string;
  request: string;
  principal: string | null;
  address: string | undefined;
  method: string;
  path: string;
  record?: string;
  service?: string;
  status: number;
  /** Ref updates of a push: `old new ref` with the verdict. */
  updates?: Array<{ ref: string; old: string; new: string; accepted: boolean }>;
  outcome: string;
  ms: number;
}

/** An append-only, fsynced JSON-lines file: requests, and changes to principals, tokens and keys. */
export class AccessLog {
  #handle: fs.FileHandle | undefined;
  #pending: Array<{ line: string; done: () => void; fail: (e: Error) => void }> = [];
  #flushing: Promise<void> | null = null;

  constructor(readonly path: string) {}

  async open(): Promise<void> {
    this.#handle = await fs.open(this.path, 'a', 0o600);
  }

  /** Append an entry; resolves once it is on disk. */
  append(entry: AccessEntry | IdentityLogEntry | ReceiptLogEntry): Promise<void> {
    return new Promise((done, fail) => {
      this.#pending.push({ line: JSON.stringify(entry) + '\n', done, fail });
      this.#flushing ??= this.#flush();
    });
  }

  async #flush(): Promise<void> {
    // Let requests finishing in the same tick join this batch.
    await new Promise((r) => setImmediate(r));
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      try {
        if (!this.#handle) throw new Error('access log is closed');
        // Appended with a blocking call (a copy into the page cache, as nginx writes its access
        // log); the fsync, which waits for the disk, on the thread pool (issue 17).
        const bytes = Buffer.from(batch.map((b) => b.line).join(''));
        for (let at = 0; at < bytes.length;) at += writeSync(this.#handle.fd, bytes, at);
        await this.#handle.datasync();
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) b.fail(e as Error);
      }
    }
    this.#flushing = null;
  }

  async close(): Promise<void> {
    await this.#flushing;
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
