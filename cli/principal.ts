// `ccr principal add|list|remove`: manage the principals of a data folder (a running server
// picks the change up at its next request).

import { PrincipalStore } from '../server/principals.js';
import type { PrincipalKind } from '../core/principal.js';
import { dataDir, need, out, str, UsageError, type Command } from './args.js';

const store = (v: Record<string, unknown>) => new PrincipalStore(`${dataDir(v['data'])}/principals.json`);

export const principal: Command = {
  help: `ccr principal add <name> --kind admin|auditor|site|integration|participant [--participant-id ID --role ROLE --display-name NAME] [--data DIR]
ccr principal list [--data DIR]
ccr principal remove <name> [--data DIR]

The token of a new principal is printed once; only its keyed hash is kept (the key is <data>/token.key).

Example:
  ccr principal add jane --kind participant --participant-id 4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12 \\
      --role clinician --display-name "Dr Jane Smith"`,
  options: { data: { type: 'string' }, kind: { type: 'string' }, 'participant-id': { type: 'string' }, role: { type: 'string' }, 'display-name': { type: 'string' } },
  async run(v, [action, name]) {
    const json = v['json'] === true;
    if (action === 'list') {
      const all = await store(v).list();
      out(json, all, all.map((p) => `${p.name}\t${p.kind}${p.participant_id ? `\t${p.participant_id}\t${p.role}\t${p.display_name}` : ''}`).join('\n') || '(no principals)');
      return 0;
    }
    if (!name) throw new UsageError(`ccr principal ${action ?? '<add|list|remove>'} needs a name`);
    if (action === 'add') {
      const created = await store(v).add({
        name, kind: need(v['kind'], 'kind') as PrincipalKind,
        ...(str(v['participant-id']) ? { participant_id: str(v['participant-id'])! } : {}),
        ...(str(v['role']) ? { role: str(v['role'])! } : {}),
        ...(str(v['display-name']) ? { display_name: str(v['display-name'])! } : {}),
      });
      out(json, created, `created ${created.kind} principal ${created.name}\ntoken (shown once): ${created.token}`);
      return 0;
    }
    if (action === 'remove') {
      await store(v).remove(name);
      out(json, { removed: name }, `removed principal ${name}`);
      return 0;
    }
    throw new UsageError(`unknown action ${action}; use add, list or remove`);
  },
};
