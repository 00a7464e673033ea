// `ccr principal add|list|remove`: manage the principals of a data folder (a running server
// picks the change up at its next request).

import { InvalidInput } from '../core/errors.js';
import { PrincipalStore, type PrincipalInput } from '../server/principals.js';
import type { PrincipalKind } from '../core/principal.js';
import { Failure, need, openDataDir, out, str, UsageError, type Command } from './args.js';

/** The principals store of the data folder; a file that cannot be read is a failure that says what to do. */
async function store(v: Record<string, unknown>, create: boolean): Promise<PrincipalStore> {
  const { path, created } = await openDataDir(v['data'], create);
  if (created && v['json'] !== true) process.stderr.write(`ccr: created the data folder ${path}\n`);
  const s = new PrincipalStore(`${path}/principals.json`);
  await s.refresh().catch((e: unknown) => {
    throw new Failure(`${path}/principals.json cannot be read: ${(e as Error).message}`, 'restore it from a backup (ccr doctor checks it)');
  });
  return s;
}

export const principal: Command = {
  help: `ccr principal add <name> --kind admin|auditor|site|integration|participant [--participant-id ID --role ROLE --display-name NAME] [--data DIR]
ccr principal list [--data DIR]
ccr principal remove <name> [--data DIR]

The token of a new principal is printed once; only its keyed hash is kept (the key is <data>/token.key).
\`add\` creates the data folder when it does not exist yet (a server started on it later finds the principals).

Example:
  ccr principal add jane --kind participant --participant-id 4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12 \\
      --role clinician --display-name "Dr Jane Smith"`,
  options: { data: { type: 'string' }, kind: { type: 'string' }, 'participant-id': { type: 'string' }, role: { type: 'string' }, 'display-name': { type: 'string' } },
  async run(v, [action, name]) {
    const json = v['json'] === true;
    if (action === 'list') {
      const all = await (await store(v, false)).list();
      out(json, all, all.map((p) => `${p.name}\t${p.kind}${p.participant_id ? `\t${p.participant_id}\t${p.role}\t${p.display_name}` : ''}`).join('\n') || '(no principals)');
      return 0;
    }
    if (action !== 'add' && action !== 'remove') throw new UsageError(action ? `unknown action ${action}; use add, list or remove` : 'use: ccr principal add|list|remove …');
    if (!name) throw new UsageError(`ccr principal ${action} needs a name`);
    if (action === 'add') {
      const input: PrincipalInput = {
        name, kind: need(v['kind'], 'kind') as PrincipalKind,
        ...(str(v['participant-id']) ? { participant_id: str(v['participant-id'])! } : {}),
        ...(str(v['role']) ? { role: str(v['role'])! } : {}),
        ...(str(v['display-name']) ? { display_name: str(v['display-name'])! } : {}),
      };
      try {
        PrincipalStore.check(input);
      } catch (e) {
        if (e instanceof InvalidInput) throw new UsageError(e.message.replace(/\b(participant_id|display_name|kind|role)\b/g, (k) => `--${k.replace('_', '-')}`));
        throw e;
      }
      const created = await (await store(v, true)).add(input);
      out(json, created, `created ${created.kind} principal ${created.name}\ntoken (shown once): ${created.token}`);
      return 0;
    }
    await (await store(v, false)).remove(name);
    out(json, { removed: name }, `removed principal ${name}`);
    return 0;
  },
};
