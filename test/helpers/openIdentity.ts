// Opens a data folder's identity store in a process of its own (the migration's crash test kills
// it mid-way): prints `opening`, opens (migrating principals.json), prints `opened N`, exits.
// Usage: node openIdentity.js <data>

import { openIdentityStores } from '../../store/sqlite/open.js';

const data = process.argv[2]!;
process.stdout.write('opening\n');
const stores = await openIdentityStores(data, { actor: 'server' });
process.stdout.write(`opened ${stores.migration.imported}\n`);
await stores.close();
