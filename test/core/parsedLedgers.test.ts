// Ledgers parsed once by blob id (core/parsedLedgers.ts): a second reader of the same blob, in
// any record, gets the parse without reading or parsing again; a blob missing from a source is not
// remembered as missing; a blob that is not a ledger reads as null.

import t from 'tap';
import { parseOid, type Oid } from '../../core/objects.js';
import { forgetParsedLedgers, parsedLedger, parsedLedgerBytes } from '../../core/parsedLedgers.js';
import type { ObjectSource, StoredObject } from '../../core/source.js';
import { CoordinationService } from '../../index.js';
import { gitIn } from '../helpers/git.js';
import { as, clinicalId, committer, jane, place, tom } from '../helpers/people.js';
import { tempDir } from '../helpers/tmp.js';

/** A source that counts its reads and may hide its objects. */
class Counting implements ObjectSource {
  reads = 0;
  hidden = false;
  constructor(private readonly inner: ObjectSource) {}
  read(oid: Oid): Promise<StoredObject | null>;
  read(oid: Oid, limit: number): Promise<StoredObject<Uint8Array | null> | null>;
  async read(oid: Oid, limit?: number): Promise<StoredObject<Uint8Array | null> | null> {
    this.reads++;
    if (this.hidden) return null;
    return limit === undefined ? this.inner.read(oid) : this.inner.read(oid, limit);
  }
}

t.test('a ledger blob is read and parsed once; missing is not remembered; not a ledger is null', async (t) => {
  const svc = await CoordinationService.new({ dataDir: tempDir(t) }).initialise(committer, place, clinicalId);
  const thread = await svc.createThread(committer, place, [jane, tom], { author: as(jane), body: 'first' });
  const dir = svc.record.repo.worktree!;
  const ledgerOid = parseOid(gitIn(dir, ['rev-parse', `HEAD:communications/${thread}/ledger.yaml`]).trim())!;
  const messagesOid = parseOid(gitIn(dir, ['rev-parse', `HEAD:communications/${thread}/messages.md`]).trim())!;
  const source = new Counting(svc.record.repo.source);

  source.hidden = true;
  t.equal(await parsedLedger(source, ledgerOid), null, 'missing from this source');
  source.hidden = false;
  const first = await parsedLedger(source, ledgerOid);
  t.equal(first?.thread_id, thread, 'read once it is there: a missing blob was not remembered');
  const reads = source.reads;
  const again = await parsedLedger(new Counting(svc.record.repo.source), ledgerOid);
  t.equal(again, first, 'the same parse, for any source');
  t.equal(source.reads, reads, 'not read again');
  t.same(
    first?.participants.map((p) => p.participant_id),
    [jane.participant_id, tom.participant_id],
  );
  t.equal(await parsedLedger(source, messagesOid), null, 'a blob that is not a ledger');
  t.ok(Object.isFrozen(first) && Object.isFrozen(first?.participants[0]), 'shared, so frozen all through');
  t.throws(() => (first!.participants as unknown[]).push({}), 'a reader cannot change it for the others');
});

t.test('the memo stays within its bytes, however many large blobs are read', async (t) => {
  const big = new Uint8Array(60 * 1024).fill(0x61);
  const source: ObjectSource = {
    read: async () => ({ type: 'blob' as const, size: big.length, content: big }),
  } as unknown as ObjectSource;
  for (let i = 0; i < 120; i++) await parsedLedger(source, parseOid(i.toString(16).padStart(40, 'f'))!);
  t.ok(parsedLedgerBytes() <= 8 * 1024 * 1024, `${parsedLedgerBytes()} bytes counted, at most 8 MiB`);
  t.ok(parsedLedgerBytes() > 4 * 1024 * 1024, 'and it does hold them up to near its bound');
  let reads = 0;
  const counted: ObjectSource = {
    read: async () => (reads++, { type: 'blob' as const, size: big.length, content: big }),
  } as unknown as ObjectSource;
  forgetParsedLedgers();
  t.equal(parsedLedgerBytes(), 0, 'forgotten all at once (an idle validator thread)');
  await parsedLedger(counted, parseOid('f'.repeat(40))!);
  t.equal(reads, 1, 'and read again when next asked');
});
