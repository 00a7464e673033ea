// `ccr record create`: create a record in a data folder (as the server's API does).

import { createRecord } from '../service/initialise.js';
import { loadSiteKey } from '../store/siteKey.js';
import { RecordStore } from '../store/records.js';
import { promises as fs } from 'node:fs';
import { need, openDataDir, out, str, UsageError, type Command } from './args.js';

export const record: Command = {
  help: `ccr record create --clinical-id UUID --care-location TEXT [--id UUID] [--data DIR]

Create a record (a bare repository with its first commit) in the data folder a server serves.

Example:
  ccr record create --clinical-id a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12 --care-location "Oxford University Hospitals"`,
  options: {
    data: { type: 'string' },
    'clinical-id': { type: 'string' },
    'care-location': { type: 'string' },
    id: { type: 'string' },
  },
  async run(v, [action]) {
    if (action !== 'create') throw new UsageError('use: ccr record create …');
    const { path: data, created } = await openDataDir(v['data'], true);
    if (created && v['json'] !== true) process.stderr.write(`ccr: created the data folder ${data}\n`);
    await fs.mkdir(`${data}/coordination`, { recursive: true });
    const records = new RecordStore(await fs.realpath(`${data}/coordination`));
    // Signed with the site key, as the server signs the records it creates.
    const site = await loadSiteKey(data);
    // The service checks the id (a canonical UUID) as it checks every caller's.
    const given = str(v['id']);
    const { handle } = await createRecord({
      path: (id) => records.path(id),
      bare: true,
      signer: site.key.signer,
      author: { name: 'ccr record create', email: 'cli@ccr.invalid' },
      careLocation: need(v['care-location'], 'care-location'),
      clinicalId: need(v['clinical-id'], 'clinical-id'),
      ...(given ? { id: given } : {}),
    });
    out(
      v['json'] === true,
      { coordination_id: handle.id, path: handle.repo.gitdir },
      `created record ${handle.id}\n${handle.repo.gitdir}`,
    );
    return 0;
  },
};
