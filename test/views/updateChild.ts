// A child process for the kill test of test/views/killUpdate.test.ts: brings one participant's
// view of the test record up to date in small batches, printing a dot after each stored batch.
// Usage: node updateChild.js <data folder> <participant id>

import { participantReader } from '../../core/views/reader.js';
import { ViewStore } from '../../git/views/store.js';
import { RECORD } from './history.js';

const [data, participant] = process.argv.slice(2) as [string, string];
const dot = () => process.stdout.write('.');
await new ViewStore(data).update(RECORD, participantReader(participant), { batch: 4, onBatch: dot });
process.stdout.write('done\n');
