// Reading objects through one long-lived `git cat-file --batch-command`: sizes without reading
// (`info`), contents (`contents`). Used where CCR must see what git sees and isomorphic-git
// cannot: a push's quarantine (the hook's GIT_OBJECT_DIRECTORY and alternates), and any
// repository an auditor hands to the offline verifier.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { ObjectSource } from '../core/evaluate.js';
import { isOid, type ObjectType, type Oid } from '../core/objects.js';
import { GitFailure } from '../core/errors.js';
import { gitEnv } from './run.js';

interface Pending {
  kind: 'info' | 'contents';
  resolve: (v: { type: ObjectType; size: number; content?: Buffer } | null) => void;
  reject: (e: Error) => void;
}

/** An ObjectSource backed by `git cat-file --batch-command` in a repository. */
export class CatFileSource implements ObjectSource {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #queue: Pending[] = [];
  #buffer: Buffer = Buffer.alloc(0);
  #failed: Error | null = null;

  /**
   * @param gitdir the repository
   * @param env extra environment, e.g. the quarantine variables of a pre-receive hook
   */
  constructor(gitdir: string, env: NodeJS.ProcessEnv = {}) {
    this.#child = spawn('git', ['--git-dir', gitdir, 'cat-file', '--batch-command'], { env: gitEnv('/dev/null', env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.#child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    this.#child.stdout.on('data', (d: Buffer) => this.#onData(d));
    this.#child.stdin.on('error', () => undefined);
    const fail = (why: string) => {
      this.#failed ??= new GitFailure(`git cat-file stopped: ${why}`, { stderr });
      for (const p of this.#queue.splice(0)) p.reject(this.#failed);
    };
    this.#child.on('error', (e) => fail(e.message));
    this.#child.on('close', (code) => fail(`exit ${code} ${stderr.trim()}`));
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      const p = this.#queue[0];
      if (!p) return;
      const nl = this.#buffer.indexOf(10);
      if (nl === -1) return;
      const header = this.#buffer.subarray(0, nl).toString();
      const parts = header.split(' ');
      if (parts[1] === 'missing' || parts[1] === 'ambiguous') {
        this.#buffer = this.#buffer.subarray(nl + 1);
        this.#queue.shift();
        p.resolve(null);
        continue;
      }
      const type = parts[1] as ObjectType;
      const size = Number(parts[2]);
      if (p.kind === 'info') {
        this.#buffer = this.#buffer.subarray(nl + 1);
        this.#queue.shift();
        p.resolve({ type, size });
        continue;
      }
      if (this.#buffer.length < nl + 1 + size + 1) return;
      const content = Buffer.from(this.#buffer.subarray(nl + 1, nl + 1 + size));
      this.#buffer = this.#buffer.subarray(nl + 1 + size + 1);
      this.#queue.shift();
      p.resolve({ type, size, content });
    }
  }

  #ask(kind: Pending['kind'], oid: Oid): Promise<{ type: ObjectType; size: number; content?: Buffer } | null> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (!isOid(oid)) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind, resolve, reject });
      this.#child.stdin.write(`${kind} ${oid}\n`);
    });
  }

  async stat(oid: Oid): Promise<{ type: ObjectType; size: number } | null> {
    const r = await this.#ask('info', oid);
    return r ? { type: r.type, size: r.size } : null;
  }

  async read(oid: Oid): Promise<{ type: ObjectType; content: Uint8Array } | null> {
    const r = await this.#ask('contents', oid);
    return r?.content ? { type: r.type, content: r.content } : null;
  }

  /** Stop the git process. */
  close(): void {
    this.#child.stdin.end();
    if (this.#child.exitCode === null) setTimeout(() => this.#child.kill('SIGKILL'), 2000).unref();
  }
}
