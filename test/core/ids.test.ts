import t from 'tap';
import * as ids from '../../core/ids.js';

t.test('the ids module exports its API', async (t) => {
  t.same(Object.keys(ids).sort(), [
    'TimestampIdGenerator',
    'formatThreadId',
    'formatTimestamp',
    'isMessageId',
    'isParticipantId',
    'isRecordId',
    'isThreadId',
    'isTimestamp',
    'isUuid',
    'newUuid',
    'parseMessageId',
    'parseParticipantId',
    'parseRecordId',
    'parseThreadId',
    'parseTimestamp',
    'parseUuid',
    'processTimestamps',
    'shardPath',
    'threadIdParts',
    'threadIdTimestamp',
  ]);
});

t.test('accepts only canonical lowercase hyphenated UUIDs, of any version', async (t) => {
  t.ok(ids.isUuid('550e8400-e29b-41d4-a716-446655440000'));
  t.ok(ids.isUuid('9b7c6d5e-4f3a-2b1c-0e8d-7f6a5b4c3d2e'), 'the seed ledger has a non-v4 participant id');
  for (const bad of [
    '550E8400-E29B-41D4-A716-446655440000',
    '{550e8400-e29b-41d4-a716-446655440000}',
    '550e8400e29b41d4a716446655440000',
    '550e8400-e29b-41d4-a716-44665544000',
    ' 550e8400-e29b-41d4-a716-446655440000',
    42,
    null,
  ]) {
    t.notOk(ids.isUuid(bad), `refuses ${String(bad)}`);
  }
  t.ok(ids.isUuid(ids.newUuid()));
  t.match(
    ids.newUuid(),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    'new ids are random (v4)',
  );
});

t.test('shards a record id by its first two and next two hex characters', async (t) => {
  t.same(ids.shardPath('7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as ids.RecordId), ['7f', '4c']);
});

t.test('parses, formats and validates thread ids', async (t) => {
  const id = '20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000';
  t.ok(ids.isThreadId(id));
  const parsed = ids.threadIdParts(id)!;
  t.equal(parsed.time, Date.UTC(2026, 0, 11, 14, 35, 22, 45));
  t.equal(ids.formatThreadId(parsed.time, parsed.uuid), id);
  t.equal(ids.threadIdTimestamp(id as ids.ThreadId), '2026-01-11T14:35:22.045Z');
  for (const bad of [
    '20260231T143522.045Z-550e8400-e29b-41d4-a716-446655440000',
    '20260111T143522.04Z-550e8400-e29b-41d4-a716-446655440000',
    '20260111T253522.045Z-550e8400-e29b-41d4-a716-446655440000',
    '20260111T143522.045Z-550E8400-e29b-41d4-a716-446655440000',
    '20260111T143522.045Z550e8400-e29b-41d4-a716-446655440000',
  ]) {
    t.notOk(ids.isThreadId(bad), `refuses ${bad}`);
  }
});

t.test('timestamps are exactly YYYY-MM-DDTHH:MM:SS.sssZ and calendar-valid', async (t) => {
  t.ok(ids.isTimestamp('2026-01-11T14:36:15.234Z'));
  for (const bad of [
    '2026-01-11T14:36:15Z',
    '2026-01-11T14:36:15.234+00:00',
    '2026-02-30T00:00:00.000Z',
    '2026-01-11 14:36:15.234Z',
    '1969-12-31T23:59:59.999Z',
  ]) {
    t.notOk(ids.isTimestamp(bad), `refuses ${bad}`);
  }
  t.equal(ids.formatTimestamp(Date.UTC(2026, 0, 11, 14, 36, 15, 234)), '2026-01-11T14:36:15.234Z');
});

t.test('the generator is strictly increasing even when the clock stands still or goes back', async (t) => {
  const times = [1000, 1000, 999, 1000, 1005, 1003];
  const gen = new ids.TimestampIdGenerator(() => times.shift()!);
  const out = [gen.nextTime(), gen.nextTime(), gen.nextTime(), gen.nextTime(), gen.nextTime(), gen.nextTime()];
  t.same(out, [1000, 1001, 1002, 1003, 1005, 1006]);
  const many = Array.from({ length: 1000 }, () => ids.processTimestamps.next());
  t.same([...many].sort(), many, 'ids sort in the order they were issued');
  t.equal(new Set(many.map((x) => x.slice(0, 20))).size, 1000, 'every id has its own millisecond');
});

const CANONICAL = '550e8400-e29b-41d4-a716-446655440000';
const NOT_CANONICAL = [
  '550E8400-E29B-41D4-A716-446655440000',
  '{550e8400-e29b-41d4-a716-446655440000}',
  '550e8400e29b41d4a716446655440000',
  ` ${CANONICAL}`,
  `${CANONICAL}\n`,
  '',
  42,
  null,
  undefined,
];

t.test('the id parsers accept the canonical UUID and refuse every other form', async (t) => {
  for (const parse of [ids.parseUuid, ids.parseRecordId, ids.parseMessageId, ids.parseParticipantId]) {
    t.equal(parse(CANONICAL), CANONICAL, `${parse.name} accepts the canonical form`);
    for (const bad of NOT_CANONICAL) t.equal(parse(bad), null, `${parse.name} refuses ${JSON.stringify(bad)}`);
  }
});

t.test('the thread id parser accepts the canonical form and refuses others', async (t) => {
  const id = `20260111T143522.045Z-${CANONICAL}`;
  t.equal(ids.parseThreadId(id), id);
  for (const bad of [
    CANONICAL,
    `20260231T143522.045Z-${CANONICAL}`,
    `20260111T143522.045Z-${CANONICAL.toUpperCase()}`,
    `${id} `,
    7,
    null,
  ]) {
    t.equal(ids.parseThreadId(bad), null, `refuses ${JSON.stringify(bad)}`);
  }
});

t.test('the kinds of id are distinct types', async (t) => {
  const record = ids.parseRecordId(CANONICAL)!;
  const thread = ids.parseThreadId(`20260111T143522.045Z-${CANONICAL}`)!;
  const asUuid: ids.Uuid = record; // every kind of UUID id is a Uuid
  // @ts-expect-error a record id is not a participant id
  const asParticipant: ids.ParticipantId = record;
  // @ts-expect-error a record id is not a message id
  const asMessage: ids.MessageId = record;
  // @ts-expect-error a thread id is not a record id
  const asRecord: ids.RecordId = thread;
  // @ts-expect-error an unchecked string is not a record id
  const fromString: ids.RecordId = CANONICAL;
  t.same(
    [asUuid, asParticipant, asMessage, asRecord, fromString].length,
    5,
    'the checks above are made by the compiler',
  );
});
