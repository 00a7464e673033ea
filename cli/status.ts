// `ccr status update`: the record's lifecycle state and flags, as one commit.

import type { LifecycleState } from '../core/vocabulary.js';
import type { CoordinationStatusUpdate } from '../service/updateCoordinationStatus.js';
import { out, UsageError, type Command } from './args.js';
import { bool, openWorkingCopy } from './workingCopy.js';

export const status: Command = {
  help: `ccr status show
ccr status update [--lifecycle-state active|suspended|closed] [--record-open true|false]
                  [--record-queryable true|false] [--record-modifiable true|false]

Only admin and site principals may push a status change to a server.

Example:
  ccr status update --lifecycle-state suspended`,
  options: {
    'lifecycle-state': { type: 'string' },
    'record-open': { type: 'string' },
    'record-queryable': { type: 'string' },
    'record-modifiable': { type: 'string' },
    'care-location': { type: 'string' },
  },
  async run(v, [action]) {
    const { svc, me } = await openWorkingCopy(v['care-location'] as string | undefined, { writes: action !== 'show' });
    if (action === 'show') {
      const s = await svc.readStatus();
      out(
        v['json'] === true,
        s,
        `record ${s.coordination_id}: ${s.status.lifecycle_state}, open ${s.status.record_open}, queryable ${s.status.record_queryable}, modifiable ${s.status.record_modifiable}`,
      );
      return 0;
    }
    if (action !== 'update') throw new UsageError('use: ccr status show | update …');
    const update: CoordinationStatusUpdate = {};
    if (v['lifecycle-state']) update.lifecycle_state = v['lifecycle-state'] as LifecycleState;
    for (const key of ['record-open', 'record-queryable', 'record-modifiable'] as const) {
      const value = bool(v[key], key);
      if (value !== undefined) update[key.replace(/-/g, '_') as 'record_open'] = value;
    }
    await svc.updateCoordinationStatus(me.author, me.careLocation, update);
    out(
      v['json'] === true,
      { commit: await svc.record.repo.head() },
      'updated the record status (one commit; push it with ccr push)',
    );
    return 0;
  },
};
