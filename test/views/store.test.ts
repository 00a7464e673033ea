// The view repositories with the real git CLI: built from a record on disk, cloned over file://
// (the whole object store of the clone searched for hidden bytes), updated while commits land,
// rebuilt when lost or damaged, several readers at once, never writing in the record, and a push
// from a clone of a view translated onto main and served back as the very commits pushed.

import { promises as fs } from 'node:fs';
import t from 'tap';
import type { Oid } from '../../core/objects.js';
import { participantReader, type ViewReader } from '../../core/views/reader.js';
import { translatePush } from '../../core/views/translate.js';
import { appendMessages } from '../../core/messages/grammar.js';
import { CatFileSource } from '../../git/catfile.js';
import { MAIN, readRef } from '../../git/refs.js';
import { landTranslation } from '../../git/views/land.js';
import { LINE_BYTES } from '../../git/views/map.js';
import { MAP_FILE } from '../../git/views/store.js';
import { gitOk, gitRun, testGitEnv } from '../helpers/git.js';
import { tempDir } from '../helpers/tmp.js';
import { History, RECORD, cast, marker, markersIn, systemsReader, threadId } from './history.js';
import { allObjects, diskRecord, generatedHistory, memoryViews } from './repo.js';

const john = participantReader(cast.john.participant_id);
const tom = participantReader(cast.tom.participant_id);

/** The scene: thread 1 with john, thread 2 without him, thread 3 he was removed from; markers to look for. */
function scene(): { h: History; visible: number[]; hidden: number[] } {
  const h = new History();
  const visible: number[] = [];
  const hidden: number[] = [];
  h.createThread(1, ['jane', 'john']);
  visible.push(h.lastMessage);
  h.say(1, 'john');
  visible.push(h.lastMessage);
  h.createThread(2, ['jane', 'tom']);
  hidden.push(h.lastMessage);
  h.say(2, 'tom');
  hidden.push(h.lastMessage);
  h.createThread(3, ['jane', 'john']);
  visible.push(h.lastMessage);
  h.remove(3, 'john', 'jane');
  visible.push(h.lastMessage);
  h.say(3, 'jane');
  hidden.push(h.lastMessage);
  h.say(1, 'jane');
  visible.push(h.lastMessage);
  return { h, visible, hidden };
}

/** What a clone's whole object store says: every message marker, and whether a text occurs in any object. */
async function cloneStore(
  dir: string,
): Promise<{ markers: Set<string>; has: (text: string) => boolean; count: number }> {
  const objects = await allObjects(`${dir}/.git`);
  const texts = objects.map((o) => o.content.toString('latin1'));
  const markers = new Set(texts.flatMap((x) => [...markersIn(x)]));
  return { markers, has: (text) => texts.some((x) => x.includes(text)), count: objects.length };
}

async function fsck(gitdir: string): Promise<{ status: number; stderr: string }> {
  const r = await gitRun(gitdir, ['--git-dir', gitdir, 'fsck', '--strict', '--no-dangling']);
  return { status: r.status, stderr: r.stderr };
}

async function clone(t: { teardown(fn: () => void): void }, view: string): Promise<string> {
  const dir = `${tempDir(t, 'ccr-view-clone-')}/c`;
  await gitOk('/', ['clone', '-q', `file://${view}`, dir]);
  return dir;
}

t.test(
  "a patient's view repository shares the record's objects and stores only commits and trees above the threads",
  async (t) => {
    const { h } = scene();
    const r = await diskRecord(t, h);
    const u = await r.store.update(RECORD, john);
    t.equal(u.view, (await memoryViews(h, john)).get(h.head), 'the same commit as the projection in memory');
    t.equal(u.rebuilt, true, 'made from nothing');
    t.equal(u.projected, h.commits.length);
    const dir = r.store.viewDir(RECORD, john.key);
    t.equal(await readRef(dir, MAIN), u.view);
    const counts = Object.fromEntries(
      (await gitOk(dir, ['--git-dir', dir, 'count-objects', '-v']))
        .trim()
        .split('\n')
        .map((l) => l.split(': ')),
    );
    const local = Number(counts['count']) + Number(counts['in-pack']);
    t.ok(local <= 3 * u.made, `only view commits and two trees each (${local} objects for ${u.made} commits)`);
    const blobs = (
      await gitOk(dir, ['--git-dir', dir, 'cat-file', '--batch-all-objects', '--batch-check=%(objecttype)'])
    ).split('\n');
    t.ok(blobs.includes('blob'), 'blobs are read through the alternates');
    t.same(await fsck(dir), { status: 0, stderr: '' }, 'git fsck is clean');
    t.match(
      await fs.readFile(`${dir}/objects/info/alternates`, 'utf8'),
      /^\.\.\/.*\/coordination\/.*\.git\/objects\n$/,
      'a relative alternates path',
    );
  },
);

t.test(
  "a clone of a patient's view holds no byte of a thread he may not see, anywhere in its object store",
  async (t) => {
    const { h, visible, hidden } = scene();
    const r = await diskRecord(t, h);
    await r.store.update(RECORD, john);
    const dir = await clone(t, r.store.viewDir(RECORD, john.key));
    const store = await cloneStore(dir);
    for (const n of visible) t.ok(store.markers.has(marker(n)), `message ${n} is there`);
    for (const n of hidden) t.notOk(store.markers.has(marker(n)), `message ${n} is not`);
    t.notOk(store.has(threadId(2)), 'nor the id of the thread he never took part in');
    t.same(await fsck(`${dir}/.git`), { status: 0, stderr: '' });
    t.equal((await gitOk(dir, ['rev-parse', 'HEAD'])).trim(), await r.store.head(RECORD, john.key));
    const files = (await gitOk(dir, ['ls-files'])).split('\n').filter(Boolean).sort();
    t.same(
      files,
      [
        'COORDINATION_STATUS.yaml',
        ...[1, 3].flatMap((n) => [
          `communications/${threadId(n)}/ledger.yaml`,
          `communications/${threadId(n)}/messages.md`,
        ]),
      ].sort(),
    );
  },
);

t.test('updates while commits land on main: the view fast-forwards, and a fetch brings nothing hidden', async (t) => {
  const { h } = scene();
  const r = await diskRecord(t, h);
  const first = await r.store.update(RECORD, john);
  const dir = await clone(t, r.store.viewDir(RECORD, john.key));
  const secret: number[] = [];
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) {
    h.say(2, 'tom');
    secret.push(h.lastMessage);
    h.say(1, i % 2 ? 'john' : 'jane');
    seen.push(h.lastMessage);
    h.say(3, 'jane');
    secret.push(h.lastMessage);
    await r.sync();
    const u = await r.store.update(RECORD, john);
    t.equal(u.projected, 3, 'only the new commits are projected');
    t.equal(u.made, 1, 'one of them changes what john sees');
    const fetched = await gitRun(dir, ['pull', '-q', '--ff-only', 'origin', 'main']);
    t.equal(fetched.status, 0, `a fast-forward: ${fetched.stderr}`);
  }
  const again = await r.store.update(RECORD, john);
  t.equal(again.projected, 0, 'up to date: nothing to do');
  t.not(again.view, first.view);
  const store = await cloneStore(dir);
  for (const n of seen) t.ok(store.markers.has(marker(n)));
  for (const n of secret) t.notOk(store.markers.has(marker(n)));
  t.equal(again.view, (await memoryViews(h, john)).get(h.head));
});

t.test('a view rebuilt after its repository is deleted has the same commits', async (t) => {
  const h = await generatedHistory(150, 3);
  const r = await diskRecord(t, h);
  const before = await r.store.update(RECORD, tom);
  await fs.rm(r.store.viewDir(RECORD, tom.key), { recursive: true });
  const after = await r.store.update(RECORD, tom);
  t.equal(after.view, before.view);
  t.equal(after.rebuilt, true);
  const rebuilt = await r.store.rebuild(RECORD, tom);
  t.equal(rebuilt.view, before.view);
  t.equal(rebuilt.projected, h.commits.length);
  t.same(await fsck(r.store.viewDir(RECORD, tom.key)), { status: 0, stderr: '' });
});

t.test('a torn map line is cut, a damaged map or a lost object rebuilds the view, with the same commits', async (t) => {
  const h = await generatedHistory(120, 5);
  const r = await diskRecord(t, h);
  const dir = r.store.viewDir(RECORD, john.key);
  await r.store.update(RECORD, john);
  const map = `${dir}/${MAP_FILE}`;
  // A writer killed in the middle of a line.
  h.say(1, 'jane');
  await r.sync();
  await fs.appendFile(map, 'deadbeef');
  const torn = await r.store.update(RECORD, john);
  t.equal(torn.rebuilt, false, 'a torn tail is cut, not a reason to rebuild');
  t.equal((await fs.stat(map)).size % LINE_BYTES, 0);
  // Garbage in the middle of the map.
  const text = await fs.readFile(map, 'latin1');
  await fs.writeFile(
    map,
    text.slice(0, LINE_BYTES) + 'x'.repeat(LINE_BYTES - 1) + '\n' + text.slice(2 * LINE_BYTES),
    'latin1',
  );
  h.say(1, 'jane');
  await r.sync();
  const fixed = await r.store.update(RECORD, john);
  t.equal(fixed.view, (await memoryViews(h, john)).get(h.head));
  // The view's own objects lost: the next update that needs one rebuilds.
  for (const name of await fs.readdir(`${dir}/objects`))
    if (name !== 'info') await fs.rm(`${dir}/objects/${name}`, { recursive: true });
  h.say(1, 'john');
  await r.sync();
  const lost = await r.store.update(RECORD, john);
  t.equal(lost.rebuilt, true);
  t.equal(lost.view, (await memoryViews(h, john)).get(h.head));
  t.same(await fsck(dir), { status: 0, stderr: '' });
});

t.test('views of several readers are built at once while commits land, each the projection of main', async (t) => {
  const h = await generatedHistory(200, 11);
  const r = await diskRecord(t, h);
  const readers: ViewReader[] = [john, tom, systemsReader, participantReader(cast.admin.participant_id)];
  for (let round = 0; round < 4; round++) {
    const landing = (async () => {
      for (let i = 0; i < 5; i++) {
        h.say(1 + (i % 3), 'jane');
        await r.sync();
      }
    })();
    // Each reader asked twice at once: the second waits for the first and finds the work done.
    await Promise.all([
      landing,
      ...readers.flatMap((reader) => [r.store.update(RECORD, reader), r.store.update(RECORD, reader)]),
    ]);
  }
  for (const reader of readers) {
    const u = await r.store.update(RECORD, reader);
    t.equal(u.view, (await memoryViews(h, reader)).get(h.head), reader.key);
    t.same(await fsck(r.store.viewDir(RECORD, reader.key)), { status: 0, stderr: '' });
  }
});

t.test('an update never writes in the record', async (t) => {
  const h = await generatedHistory(80, 13);
  const r = await diskRecord(t, h);
  const files = async (dir: string): Promise<string[]> => {
    const out: string[] = [];
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) out.push(...(await files(`${dir}/${e.name}`)));
      else out.push(`${dir}/${e.name}`);
    }
    return out.sort();
  };
  const before = await files(r.record);
  const stats = await Promise.all(before.map((f) => fs.stat(f).then((s) => s.mtimeMs)));
  await r.store.update(RECORD, john);
  await r.store.rebuild(RECORD, john);
  t.same(await files(r.record), before, 'no file added or removed in the record');
  t.same(await Promise.all(before.map((f) => fs.stat(f).then((s) => s.mtimeMs))), stats, 'none changed');
});

t.test(
  'a push from a clone of a view lands on main, and the view then served is exactly what was pushed',
  async (t) => {
    const { h } = scene();
    const r = await diskRecord(t, h);
    await r.store.update(RECORD, john);
    const view = r.store.viewDir(RECORD, john.key);
    const dir = await clone(t, view);
    // Main moves out of john's sight after his clone.
    h.say(2, 'tom');
    await r.sync();
    // John appends a message with plain git, as a second client would.
    const file = `${dir}/communications/${threadId(1)}/messages.md`;
    const m = h.message('john');
    await fs.writeFile(file, appendMessages(await fs.readFile(file, 'utf8'), [m]));
    const ledger = `${dir}/communications/${threadId(1)}/ledger.yaml`;
    await fs.writeFile(
      ledger,
      (await fs.readFile(ledger, 'utf8')).replace(/^last_updated_at: .*$/m, `last_updated_at: ${m.timestamp}`),
    );
    const env = testGitEnv({
      GIT_AUTHOR_NAME: 'John Doe',
      GIT_AUTHOR_EMAIL: 'john@ccr.invalid',
      GIT_COMMITTER_NAME: 'John Doe',
      GIT_COMMITTER_EMAIL: 'john@ccr.invalid',
    });
    await gitOk(dir, ['commit', '-q', '-am', 'coordination:update: Added message to thread\n\nCare-Location: Home'], {
      env,
    });
    const pushed = (await gitOk(dir, ['rev-parse', 'HEAD'])).trim() as Oid;
    // The test stands in for receive-pack on the view: the objects arrive on a private ref.
    await gitOk(dir, ['push', '-q', 'origin', 'HEAD:refs/ccr/incoming']);
    const source = new CatFileSource(view);
    t.teardown(() => source.close());
    const before = (await readRef(r.record, MAIN))!;
    const current = await r.store.update(RECORD, john);
    const translation = await translatePush({
      source,
      reader: john,
      main: before,
      view: current.view!,
      old: (await gitOk(dir, ['rev-parse', 'HEAD~1'])).trim() as Oid,
      tip: pushed,
    });
    t.same(translation.findings, []);
    t.equal(await landTranslation(r.record, translation, source, before), true);
    t.same(await fsck(r.record), { status: 0, stderr: '' }, 'the record is whole');
    const after = await r.store.update(RECORD, john);
    t.equal(after.view, pushed, "the view of the new main is john's own commit");
    const pulled = await gitRun(dir, ['pull', '-q', '--ff-only', 'origin', 'main']);
    t.equal(pulled.status, 0);
    t.equal((await gitOk(dir, ['rev-parse', 'HEAD'])).trim(), pushed, 'his branch and the server agree');
    const mainTip = (await readRef(r.record, MAIN))!;
    t.not(mainTip, pushed, 'main holds a translated commit (its tree has the thread he cannot see)');
    t.match(
      await gitOk(r.record, ['--git-dir', r.record, 'show', '-s', '--format=%an %s', mainTip]),
      /^John Doe coordination:update: Added message to thread/,
    );
  },
);
