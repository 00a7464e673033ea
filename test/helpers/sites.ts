// Several CCR sites on 127.0.0.1 for the sync tests: servers that know each other as peers, and
// rounds run by hand (`syncAll`) so a test decides exactly when sites talk.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import type { Test } from 'tap';
import type { RecordId } from '../../core/ids.js';
import type { Peer } from '../../sync/peers.js';
import { syncRecord, type RoundReport, type SyncContext } from '../../sync/round.js';
import { CoordinationService } from '../../index.js';
import { gitOk, gitRun } from './git.js';
import { as, committer, jane } from './people.js';
import type { ServerOptions } from '../../server/context.js';
import { testServer, type TestServer } from './server.js';
import { tempDir } from './tmp.js';

/** A site: its server, and the peers it syncs with. */
export interface Site {
  name: string;
  s: TestServer;
  peers: Peer[];
}

/** Sites that are all peers of each other (each has a `site` principal for every other). */
export async function sites(t: Test, names: string[], options: Array<Partial<ServerOptions>> = []): Promise<Site[]> {
  const all: Site[] = [];
  for (const [i, name] of names.entries())
    all.push({ name, s: await testServer(t, { validatorThreads: 1, ...options[i] }), peers: [] });
  for (const a of all) {
    for (const b of all) {
      if (a === b) continue;
      const creds = await b.s.principal({ name: `site-${a.name}`, kind: 'site' });
      a.peers.push({ name: b.name, url: b.s.url, user: creds.name, token: creds.token, records: 'all' });
    }
  }
  return all;
}

/** What a site's rounds need: judged on its validator threads and signed with its key, as its own rounds are. */
export function roundContext(site: Site): SyncContext {
  const server = site.s.server.context;
  return {
    gitEnv: server.gitEnv,
    timeoutMs: 20_000,
    maxFetchBytes: server.options.maxPushBytes,
    judge: (input) => server.validator.judgeIncoming(input),
    signer: server.siteKey.signer,
  };
}

/** One round of `from` with its peer `to` for every record `from` holds (as `ccr sync --peer` does). */
export async function syncAll(from: Site, to: string): Promise<RoundReport[]> {
  const peer = from.peers.find((p) => p.name === to)!;
  const ctx = roundContext(from);
  const out: RoundReport[] = [];
  const { records } = await from.s.server.context.records.list(undefined, 1000);
  for (const id of records) out.push(await syncRecord(ctx, (await from.s.server.context.records.open(id))!, peer, id));
  return out;
}

/** Add messages at a site, the way a clinician there would: clone, write, push. */
export async function write(t: Test, site: Site, id: string, thread: string, bodies: string[], who = jane) {
  const dir = `${tempDir(t)}/w`;
  await gitOk('/', ['clone', '-q', site.s.gitUrl(id, site.s.admin), dir]);
  const svc = await CoordinationService.at(dir);
  for (const body of bodies) await svc.addMessage(committer, `Ward at ${site.name}`, thread, { author: as(who), body });
  const r = await gitRun(dir, ['push', '-q', 'origin', 'main']);
  if (r.status !== 0) throw new Error(r.stderr);
}

/** `main` of a record at a site. */
export async function mainAt(site: Site, id: string): Promise<string | null> {
  return (await site.s.server.context.records.open(id as RecordId))?.head() ?? null;
}

/** A file of a record's main at a site, as text. */
export async function fileAt(site: Site, id: string, path: string): Promise<string> {
  const gitdir = site.s.server.context.records.path(id as RecordId);
  return gitOk(gitdir, ['--git-dir', gitdir, 'show', `main:${path}`]);
}

/** Whether a port can be listened on at 127.0.0.1 right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The kernel's range of ephemeral ports (listen(0) and outgoing connections take theirs there). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return NaN;
  }
}

/**
 * A TCP port free right now on 127.0.0.1, for a server started later on it. Taken below the
 * kernel's ephemeral range where there is room: a port that listen(0) gave and let go can be
 * taken again at once by any outgoing connection or listen(0) of the suite's other processes (a
 * `ccr serve` once found its port in use so), while one outside that range is taken only by
 * another test's pick, at random among thousands.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  if (low > 12_000)
    for (let tries = 0; tries < 50; tries++) {
      const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
      if (await canListen(port)) return port;
    }
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/**
 * A TCP server on 127.0.0.1 that hands each connection to `handle` (with the set of connections
 * stopped at the end, to add its own); its URL. Stopped, with its connections, when the test ends.
 */
async function loopback(t: Test, handle: (s: Socket, sockets: Set<Socket>) => void): Promise<string> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    handle(s, sockets);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
}

/** A peer that accepts TCP connections and never answers a byte; its URL. */
export function hangingPeer(t: Test): Promise<string> {
  return loopback(t, () => undefined);
}

/**
 * A link to a port on 127.0.0.1 that passes each connection on after `delayMs`, unless `drop`
 * says no to its first bytes (then it is closed unanswered); its URL.
 */
export function link(t: Test, port: number, delayMs: number, drop = (_first: Buffer) => false): Promise<string> {
  return loopback(t, (s, sockets) =>
    s.once('data', (first: Buffer) => {
      s.pause();
      if (drop(first)) return void s.destroy();
      setTimeout(() => {
        const up = connect(port, '127.0.0.1');
        sockets.add(up);
        up.on('error', () => s.destroy());
        up.on('close', () => {
          sockets.delete(up);
          s.end();
        });
        s.on('close', () => up.destroy());
        up.write(first);
        s.pipe(up).pipe(s);
        s.resume();
      }, delayMs);
    }),
  );
}

/** A server started with `sites.json` naming the given peers (background sync on). */
export async function siteWithPeers(
  t: Test,
  peers: Peer[],
  options: Partial<ServerOptions> = {},
  interval = 0,
): Promise<TestServer> {
  const data = tempDir(t, 'ccr-site-');
  writeFileSync(`${data}/sites.json`, JSON.stringify({ interval_seconds: interval, peers }));
  return testServer(t, { data, ...options });
}

/** Processes whose command line mentions `text` (git children left behind, say). */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const cmd = (() => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    })();
    if (cmd.includes(text) && Number(pid) !== process.pid) found.push(`${pid} ${cmd}`);
  }
  return found;
}
