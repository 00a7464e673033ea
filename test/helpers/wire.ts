// Hand-made HTTP requests for the tests that must control every byte: raw paths, bodies built
// from pkt-lines and packs, half-sent pushes, and a digest of what is on disk.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { gitOk } from './git.js';

/** A pkt-line. */
export function pkt(line: string | Buffer): Buffer {
  const data = typeof line === 'string' ? Buffer.from(line) : line;
  return Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0')), data]);
}

/** The body of a receive-pack request that moves `ref` from `old` to `next`, with its pack. */
export async function receivePackBody(
  clone: string,
  old: string,
  next: string,
  ref = 'refs/heads/main',
  capabilities = 'report-status side-band-64k',
): Promise<Buffer> {
  const pack = await packOf(clone, `${next}\n^${old}\n`);
  return Buffer.concat([pkt(`${old} ${next} ${ref}\0${capabilities}\n`), Buffer.from('0000'), pack]);
}

async function packOf(clone: string, revs: string): Promise<Buffer> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['pack-objects', '--stdout', '--revs', '--thin'], { cwd: clone });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`pack-objects ${code}`))));
    child.stdin.on('error', () => undefined);
    child.stdin.end(revs);
  });
}

/** Send an HTTP request and give status, headers and body. */
export function send(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    auth?: { name: string; token: string } | null;
  },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = {
      ...(opts.auth
        ? { Authorization: `Basic ${Buffer.from(`${opts.auth.name}:${opts.auth.token}`).toString('base64')}` }
        : {}),
      ...opts.headers,
    };
    const req = request(url, { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Send raw bytes on a new connection and give what comes back before the server closes it. */
export function raw(port: number, bytes: string | Buffer, waitMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', () => undefined);
    socket.write(bytes);
  });
}

/** The status code of a raw HTTP answer, or 0 when none came. */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
}

/** A digest of everything under a folder (paths, kinds, sizes, and contents of small files). */
export function diskDigest(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = `${d}/${name}`;
      const st = lstatSync(p);
      hash.update(`${p} ${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f'} ${st.isFile() ? st.size : 0}\n`);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.size < 4096) hash.update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

/** The commit `main` points at in a clone's remote, read through git. */
export async function remoteMain(clone: string): Promise<string> {
  return (await gitOk(clone, ['ls-remote', 'origin', 'refs/heads/main'])).split('\t')[0] ?? '';
}
