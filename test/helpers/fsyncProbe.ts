// Writes made with the project's own code, for a test that watches their fsync calls under strace.
// `node fsyncProbe.js objects <gitdir>`: write objects into two new fan-out folders, then one
// more into an existing folder; prints the folders each call synced.
// `node fsyncProbe.js record <data>`: create a bare record with a first thread under
// <data>/coordination; prints its id and folder.

import { CoordinationService } from '../../service/CoordinationService.js';
import { createRecord } from '../../service/initialise.js';
import type { RecordHandle } from '../../service/record.js';
import { RecordStore } from '../../store/records.js';
import { writeObjects, type PendingObject } from '../../git/store.js';
import type { RecordId } from '../../core/ids.js';
import { hashObject, type Oid } from '../../core/objects.js';
import { as, clinicalId, committer, jane, place } from './people.js';

const [mode, dir] = process.argv.slice(2) as [string, string];
const blob = (text: string): [Oid, PendingObject] => [
  hashObject('blob', Buffer.from(text)),
  { type: 'blob', content: Buffer.from(text) },
];

if (mode === 'objects') {
  // Three blobs whose ids start with different bytes, then one sharing the first one's folder.
  const found: Array<[Oid, PendingObject]> = [];
  for (let i = 0; found.length < 2; i++) {
    const b = blob(`blob ${i}`);
    if (!found.some(([oid]) => oid.slice(0, 2) === b[0].slice(0, 2))) found.push(b);
  }
  let again: [Oid, PendingObject] | undefined;
  for (let i = 0; !again; i++) {
    const b = blob(`again ${i}`);
    if (b[0].slice(0, 2) === found[0]![0].slice(0, 2)) again = b;
  }
  const first = await writeObjects(dir, new Map(found));
  const second = await writeObjects(dir, new Map([again]));
  process.stdout.write(JSON.stringify({ first, second }) + '\n');
} else {
  const store = new RecordStore(`${dir}/coordination`);
  const first = { author: as(jane), body: 'First.' };
  const options = {
    path: (id: RecordId) => store.path(id),
    bare: true,
    author: committer,
    careLocation: place,
    clinicalId,
  };
  const firstThread = (staging: RecordHandle) =>
    new CoordinationService(staging).createThread(committer, place, [jane], first);
  const { handle, then } = await createRecord(options, firstThread);
  process.stdout.write(JSON.stringify({ id: handle.id, gitdir: handle.repo.gitdir, thread: then }) + '\n');
}
