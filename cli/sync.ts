// `ccr sync`: one sync round by hand, for every record shared with every peer (or those named).

import { promises as fs } from 'node:fs';
import type { RecordId } from '../core/ids.js';
import { defaults } from '../server/index.js';
import { installGitConfig } from '../server/gitConfig.js';
import { RecordStore } from '../server/records.js';
import { HOOKS_DIR } from '../server/index.js';
import { loadSites, shares } from '../sync/peers.js';
import { syncRecord, type RoundReport } from '../sync/round.js';
import { dataDir, out, UsageError, type Command } from './args.js';

export const sync: Command = {
  help: `ccr sync [--data DIR] [--peer NAME] [--record ID] [--json]

Run one sync round with the peers in <data>/sites.json: for each shared record, fetch the peer's
main, refuse a rewritten or invalid history, then fast-forward, push, or merge deterministically
and push. Prints one line per record and peer; exit 0 when every round ended well, 1 otherwise.

Example:
  ccr sync --data /srv/ccr --peer site-b`,
  options: { data: { type: 'string' }, peer: { type: 'string' }, record: { type: 'string' } },
  async run(v) {
    const data = dataDir(v['data']);
    const sites = await loadSites(data);
    const peers = sites.peers.filter((p) => !v['peer'] || p.name === v['peer']);
    if (peers.length === 0) throw new UsageError(v['peer'] ? `no peer named ${String(v['peer'])} in ${data}/sites.json` : `no peers in ${data}/sites.json`);
    const records = new RecordStore(await fs.realpath(`${data}/coordination`));
    const gitEnv = await installGitConfig(`${data}/gitconfig`, { hooksPath: HOOKS_DIR, maxInputBytes: defaults.maxPushBytes });
    const reports: RoundReport[] = [];
    for (const peer of peers) {
      const ids: RecordId[] = [];
      if (v['record']) ids.push(v['record'] as RecordId);
      else if (peer.records !== 'all') ids.push(...(peer.records as RecordId[]));
      else for (let after: RecordId | undefined, page; (page = await records.list(after, 1000)).records.length > 0; after = page.next) {
        ids.push(...page.records);
        if (!page.next) break;
      }
      for (const id of ids.filter((x) => shares(peer, x))) {
        const repo = await records.open(id);
        const r: RoundReport = repo ? await syncRecord({ gitEnv, timeoutMs: defaults.syncTimeoutMs }, repo, peer, id) : { record: id, peer: peer.name, outcome: 'failed', main: null, detail: 'no such record here' };
        reports.push(r);
        if (!v['json']) process.stdout.write(`${peer.name} ${id} ${r.outcome}${r.detail ? `: ${r.detail.split('\n')[0]}` : ''}\n`);
      }
    }
    const bad = reports.filter((r) => !['in-sync', 'pushed', 'fast-forwarded', 'merged', 'created-at-peer'].includes(r.outcome));
    if (v['json']) out(true, { rounds: reports, ok: bad.length === 0 }, '');
    else process.stdout.write(`${reports.length} rounds, ${bad.length} not in sync\n`);
    return bad.length === 0 ? 0 : 1;
  },
};
