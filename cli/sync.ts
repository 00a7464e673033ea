// `ccr sync`: one sync round by hand, for every record shared with every peer (or those named).

import { loadSiteKey, SITE_KEY_FILE } from '../store/siteKey.js';
import { promises as fs } from 'node:fs';
import { parseRecordId } from '../core/ids.js';
import { gitEnv as runGitEnv } from '../git/run.js';
import { installGitConfig } from '../git/config.js';
import { installHook } from '../git/hooks.js';
import { DEFAULT_MAX_PUSH_BYTES, DEFAULT_SYNC_TIMEOUT_MS } from '../git/limits.js';
import { RecordStore } from '../store/records.js';
import { loadSites, sharedRecords, shares } from '../sync/peers.js';
import { syncRecord, type RoundReport } from '../sync/round.js';
import { Failure, openDataDir, out, UsageError, type Command } from './args.js';

export const sync: Command = {
  help: `ccr sync [--data DIR] [--peer NAME] [--record ID] [--timeout SECONDS] [--json]

Run one sync round with the peers in <data>/sites.json: for each shared record, fetch the peer's
main, refuse a rewritten or invalid history, then fast-forward, push, or merge deterministically
and push. Prints one line per record and peer; exit 0 when every round ended well, 1 otherwise.
A round that takes longer than --timeout (default 30) is abandoned, its git processes killed; a
peer that does not answer is reported for its remaining records without trying each again.

Example:
  ccr sync --data /srv/ccr --peer site-b`,
  options: {
    data: { type: 'string' },
    peer: { type: 'string' },
    record: { type: 'string' },
    timeout: { type: 'string' },
  },
  async run(v) {
    const record = v['record'] === undefined ? undefined : parseRecordId(v['record']);
    if (record === null)
      throw new UsageError(`expected --record to be a record id (a UUID), found ${JSON.stringify(v['record'])}`);
    const timeoutMs = v['timeout'] === undefined ? DEFAULT_SYNC_TIMEOUT_MS : Number(v['timeout']) * 1000;
    if (!(timeoutMs > 0))
      throw new UsageError(`expected --timeout to be a number of seconds, found ${JSON.stringify(v['timeout'])}`);
    const { path: data } = await openDataDir(v['data'], false);
    const sites = await loadSites(data).catch((e: unknown) => {
      throw new Failure(
        `${data}/sites.json cannot be used: ${(e as Error).message}`,
        'fix it (README: Sync between sites; ccr doctor checks it)',
      );
    });
    const peers = sites.peers.filter((p) => !v['peer'] || p.name === v['peer']);
    if (peers.length === 0) {
      if (v['peer'])
        throw new UsageError(
          `no peer named ${String(v['peer'])} in ${data}/sites.json`,
          `the peers there: ${sites.peers.map((p) => p.name).join(', ') || 'none'}`,
        );
      throw new UsageError(
        `no peers in ${data}/sites.json`,
        'name the peer sites in sites.json first (README: Sync between sites)',
      );
    }
    const records = new RecordStore(await fs.realpath(`${data}/coordination`));
    // The server's own configuration when it has written one (its limits may differ from the defaults).
    const written = await fs.access(`${data}/gitconfig`).then(
      () => true,
      () => false,
    );
    const gitEnv = written
      ? runGitEnv(`${data}/gitconfig`)
      : await installGitConfig(`${data}/gitconfig`, {
          hooksPath: (await installHook(data)).dir,
          maxInputBytes: DEFAULT_MAX_PUSH_BYTES,
        });
    // Merges are signed with the site key, as the server's own rounds sign them.
    const site = await loadSiteKey(data).catch((e: unknown) => {
      throw new Failure(
        `${data}/${SITE_KEY_FILE} cannot be used: ${(e as Error).message}`,
        'the site signing key must be an unencrypted Ed25519 OpenSSH key of mode 600',
      );
    });
    const reports: RoundReport[] = [];
    for (const peer of peers) {
      const ids = record ? [record] : await sharedRecords(peer, records);
      let down: string | undefined;
      for (const id of ids.filter((x) => shares(peer, x))) {
        const repo = await records.open(id);
        const r: RoundReport = !repo
          ? { record: id, peer: peer.name, outcome: 'failed', main: null, detail: 'no such record here' }
          : down
            ? {
                record: id,
                peer: peer.name,
                outcome: 'peer-down',
                main: await repo.head(),
                detail: `not tried: ${down}`,
              }
            : await syncRecord(
                { gitEnv, timeoutMs, maxFetchBytes: DEFAULT_MAX_PUSH_BYTES, signer: site.key.signer },
                repo,
                peer,
                id,
              );
        if (r.outcome === 'peer-down') down ??= r.detail ?? 'the peer is down';
        reports.push(r);
        if (!v['json'])
          process.stdout.write(`${peer.name} ${id} ${r.outcome}${r.detail ? `: ${r.detail.split('\n')[0]}` : ''}\n`);
      }
    }
    const bad = reports.filter(
      (r) => !['in-sync', 'pushed', 'fast-forwarded', 'merged', 'created-at-peer'].includes(r.outcome),
    );
    if (v['json']) out(true, { rounds: reports, ok: bad.length === 0 }, '');
    else process.stdout.write(`${reports.length} rounds, ${bad.length} not in sync\n`);
    return bad.length === 0 ? 0 : 1;
  },
};
