// Reading objects through one long-lived `git cat-file --batch`. Used where CCR must see what git
// sees and isomorphic-git cannot: a push's quarantine (the hook's GIT_OBJECT_DIRECTORY and
// alternates), and any repository an auditor hands to the offline verifier. An object over the
// caller's limit streams past without being kept, so a hostile blob never fills memory.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ObjectSource, StoredObject } from '../core/source.js';
import { GitFailure } from '../core/errors.js';
import { isOid, type ObjectType, type Oid } from '../core/objects.js';
import { gitEnv } from './run.js';

interface Pending {
  limit: number | undefined;
  resolve: (v: StoredObject<Uint8Array | null> | null) => void;
  reject: (e: Error) => void;
}

/** The object being received: what is still to come, and its parts unless it is skipped. */
interface Receiving {
  pending: Pending;
  type: ObjectType;
  size: number;
  remaining: number;
  parts: Buffer[] | null;
}

/** An ObjectSource backed by `git cat-file --batch` in a repository. */
export class CatFileSource implements ObjectSource {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #queue: Pending[] = [];
  #header: Buffer = Buffer.alloc(0);
  #current: Receiving | null = null;
  #failed: Error | null = null;

  /**
   * @param gitdir the repository
   * @param env extra environment, e.g. the quarantine variables of a pre-receive hook
   */
  constructor(gitdir: string, env: NodeJS.ProcessEnv = {}) {
    this.#child = spawn('git', ['--git-dir', gitdir, 'cat-file', '--batch'], {
      env: gitEnv('/dev/null', env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    this.#child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4096) stderr += d.toString();
    });
    this.#child.stdout.on('data', (d: Buffer) => this.#onData(d));
    this.#child.stdin.on('error', () => undefined);
    const fail = (why: string) => {
      this.#failed ??= new GitFailure(`git cat-file stopped: ${why}`, { stderr });
      if (this.#current) this.#queue.unshift(this.#current.pending);
      this.#current = null;
      for (const p of this.#queue.splice(0)) p.reject(this.#failed);
    };
    this.#child.on('error', (e) => fail(e.message));
    this.#child.on('close', (code) => fail(`exit ${code} ${stderr.trim()}`));
  }

  #onData(chunk: Buffer): void {
    let buf = chunk;
    while (buf.length > 0) {
      if (!this.#current) {
        const joined = this.#header.length ? Buffer.concat([this.#header, buf]) : buf;
        const nl = joined.indexOf(10);
        if (nl === -1) {
          this.#header = Buffer.from(joined);
          return;
        }
        this.#header = Buffer.alloc(0);
        const pending = this.#queue.shift();
        if (!pending) return;
        const [, type, size] = joined.subarray(0, nl).toString().split(' ');
        buf = joined.subarray(nl + 1);
        if (type === 'missing' || type === 'ambiguous' || size === undefined) {
          pending.resolve(null);
          continue;
        }
        const n = Number(size);
        this.#current = {
          pending,
          type: type as ObjectType,
          size: n,
          remaining: n + 1,
          parts: pending.limit !== undefined && n > pending.limit ? null : [],
        };
      }
      const r = this.#current;
      const take = Math.min(buf.length, r.remaining);
      r.parts?.push(buf.subarray(0, take));
      r.remaining -= take;
      buf = buf.subarray(take);
      if (r.remaining > 0) return;
      this.#current = null;
      r.pending.resolve({
        type: r.type,
        size: r.size,
        content: r.parts ? Buffer.concat(r.parts).subarray(0, r.size) : null,
      });
    }
  }

  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (!isOid(oid)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#queue.push({ limit, resolve, reject });
      this.#child.stdin.write(`${oid}\n`);
    });
  }

  /** Stop the git process. */
  close(): void {
    this.#child.stdin.end();
    if (this.#child.exitCode === null) setTimeout(() => this.#child.kill('SIGKILL'), 2000).unref();
  }
}
