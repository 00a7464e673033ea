// Fuzzing the parsers of the front end and the evaluator over generated input: nothing throws,
// nothing hangs, and nothing accepted breaks an invariant of the SPEC. The run count is fixed for
// CI; CCR_FUZZ_RUNS raises it (docs/reliability.md).

import fc from 'fast-check';
import t from 'tap';
import { evaluateCommit } from '../../core/evaluate.js';
import { isUuid } from '../../core/ids.js';
import { basicCredentials } from '../../server/http.js';
import { route } from '../../server/routes/match.js';
import { parseHookBody } from '../../server/hookEndpoint.js';
import { RECORD, baseRecord } from '../corpus/memory.js';
import { LEDGER, MESSAGES, T } from '../corpus/record.js';
import type { Snapshot } from '../helpers/snapshot.js';

const runs = Number(process.env['CCR_FUZZ_RUNS'] ?? 1000);
const pathChars = fc.constantFrom(
  '/',
  '.',
  '%',
  '2',
  'e',
  'c',
  'o',
  '\\',
  'g',
  'i',
  't',
  '-',
  'a',
  '?',
  '=',
  '&',
  '#',
  ' ',
  '\0',
  'é',
);
const segment = fc.oneof(
  fc.constantFrom(
    'coordination',
    'info',
    'refs',
    'git-upload-pack',
    'git-receive-pack',
    'api',
    'records',
    'principals',
    '..',
    '.',
    '',
    '%2e%2e',
    '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88',
    '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88.git',
    'x.git',
    'service=git-upload-pack',
  ),
  fc.string({ unit: pathChars, maxLength: 12 }),
);

t.test('the router never throws and answers git only at the exact URL shapes', async (t) => {
  fc.assert(
    fc.property(
      fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'X'),
      fc.array(segment, { maxLength: 7 }),
      fc.boolean(),
      (method, parts, query) => {
        const raw = '/' + parts.join('/') + (query ? '?service=git-upload-pack' : '');
        const r = route(method, raw);
        if (r.kind !== 'git') return true;
        const m =
          /^\/coordination\/([0-9a-f-]{36})(\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)(\?service=git-(upload|receive)-pack)?$/.exec(
            raw,
          );
        return m !== null && isUuid(m[1]) && r.record === m[1];
      },
    ),
    { numRuns: runs },
  );
  t.pass(`${runs} generated requests`);
});

t.test('Basic credentials and hook bodies are read without throwing', async (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 40 }), (header, user) => {
      const parsed = basicCredentials(header);
      const built = basicCredentials(`Basic ${Buffer.from(`${user}:tok`).toString('base64')}`);
      return (
        (parsed === null || typeof parsed.name === 'string') &&
        (user.includes(':') || user === '' || built?.name === user || Buffer.byteLength(user) > 1000)
      );
    }),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (body) => {
      const call = parseHookBody(body);
      return call === null || call.updates.every((u) => /^[0-9a-f]{40}$/.test(u.old) && /^[0-9a-f]{40}$/.test(u.new));
    }),
    { numRuns: runs },
  );
  t.pass();
});

/** Random damage to a snapshot: bytes changed, appended, cut; files added, removed, re-moded. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    file: fc.constantFrom(MESSAGES, LEDGER, 'COORDINATION_STATUS.yaml'),
    at: fc.nat(4000),
    byte: fc.integer({ min: 0, max: 255 }),
  }),
  fc.record({
    kind: fc.constant('append' as const),
    file: fc.constantFrom(MESSAGES, LEDGER),
    text: fc.string({ unit: 'grapheme', maxLength: 80 }),
  }),
  fc.record({ kind: fc.constant('cut' as const), file: fc.constantFrom(MESSAGES, LEDGER), keep: fc.nat(2000) }),
  fc.record({
    kind: fc.constant('add' as const),
    name: fc.constantFrom(`${T}/x`, 'README', 'communications/x/messages.md', `${T}/Messages.md`, '.gitmodules'),
  }),
  fc.record({ kind: fc.constant('remove' as const), file: fc.constantFrom(MESSAGES, LEDGER, T) }),
  fc.record({
    kind: fc.constant('mode' as const),
    file: fc.constantFrom(MESSAGES, LEDGER),
    mode: fc.constantFrom('100755' as const, '120000' as const),
  }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function apply(s: Snapshot, m: Mutation): Snapshot {
  const bytes = (f: string) => Buffer.from(s.files.get(f)?.content ?? new Uint8Array());
  switch (m.kind) {
    case 'flip': {
      const b = bytes(m.file);
      if (b.length === 0) return s;
      b[m.at % b.length] = m.byte;
      return s.set(m.file, b);
    }
    case 'append':
      return s.files.has(m.file) ? s.set(m.file, Buffer.concat([bytes(m.file), Buffer.from(m.text)])) : s;
    case 'cut':
      return s.files.has(m.file) ? s.set(m.file, bytes(m.file).subarray(0, m.keep)) : s;
    case 'add':
      return s.set(m.name, 'x\n');
    case 'remove':
      return s.delete(m.file);
    case 'mode':
      return s.files.has(m.file) ? s.set(m.file, bytes(m.file), m.mode) : s;
  }
}

t.test(
  'the evaluator judges damaged commits without throwing, and accepts nothing that breaks append-only or the layout',
  async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.string({ maxLength: 60 }),
        async (mutations, subject) => {
          const { source, head, snapshot } = baseRecord();
          const next = mutations.reduce(apply, snapshot);
          const oid = source.commit(
            next,
            [head],
            subject.length % 3 === 0 ? subject : 'coordination:update: Added message to thread\n\nCare-Location: X\n',
            Date.UTC(2026, 0, 12),
          );
          const findings = await evaluateCommit(source, oid, { recordId: RECORD, now: Date.now() });
          const again = await evaluateCommit(source, oid, { recordId: RECORD, now: Date.now() });
          if (JSON.stringify(findings) !== JSON.stringify(again)) return false;
          if (!findings.every((f) => f.rule.startsWith('ccr/') && f.message.startsWith('expected'))) return false;
          if (findings.length > 0) return true;
          // Accepted: the old conversation must be a byte prefix of the new one, and the layout exact.
          const before = Buffer.from(snapshot.files.get(MESSAGES)!.content);
          const after = next.files.get(MESSAGES);
          const layout = [...next.files.keys()].every(
            (p) =>
              p === 'COORDINATION_STATUS.yaml' ||
              new RegExp(`^communications/[^/]+/(messages\\.md|ledger\\.yaml)$`).test(p),
          );
          return (
            after !== undefined &&
            Buffer.from(after.content).subarray(0, before.length).equals(before) &&
            layout &&
            [...next.files.values()].every((e) => e.mode === '100644')
          );
        },
      ),
      { numRuns: Math.ceil(runs / 2) },
    );
    t.pass();
  },
);
