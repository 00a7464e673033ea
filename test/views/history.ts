// Record histories in memory for the view tests: threads with chosen participants, messages whose
// bodies carry a marker (so a test can say which messages a view holds, byte for byte), removals,
// re-additions, restriction, and sync merges built by the project's own code.

import { renderCommitMessage, subjects } from '../../core/commitMessage.js';
import {
  formatThreadId,
  formatTimestamp,
  type MessageId,
  type RecordId,
  type ThreadId,
  type Timestamp,
  type Uuid,
} from '../../core/ids.js';
import { renderLedger, type Ledger } from '../../core/ledger.js';
import { appendMessages, renderMessages, type Message } from '../../core/messages/grammar.js';
import { buildSyncMerge } from '../../core/mergeCommit.js';
import { formatCommit, parseCommit, parseTree, type Commit, type Oid } from '../../core/objects.js';
import type { ObjectSource } from '../../core/source.js';
import { ViewBuilder, ancestryBySource } from '../../core/views/project.js';
import type { ViewReader } from '../../core/views/reader.js';
import { initialStatus, renderStatus } from '../../core/status.js';
import { readStrictYaml } from '../../core/yaml.js';
import { MemorySource, Snapshot, snapshotTree } from '../helpers/snapshot.js';
import { admin, jane, john, tom } from '../helpers/people.js';

export const RECORD = '7f4c2e9d-4b0a-4f3a-9a2c-0e9a6b5d1c88' as RecordId;
const PLACE = 'Oxford University Hospitals';
const START = Date.UTC(2026, 0, 11, 9, 0, 0);

/** The cast, by name. */
export const cast = { jane, tom, john, admin };
/** A name of the cast. */
export type Who = keyof typeof cast;

const hex12 = (n: number) => n.toString(16).padStart(12, '0');
/** A thread id made from a number (deterministic). */
export const threadId = (n: number): ThreadId =>
  formatThreadId(START + n * 1000, `00000000-0000-4000-8000-${hex12(n)}` as Uuid);
/** The body marker of message n: a string found in no other object. */
export const marker = (n: number) => `MARK${n.toString().padStart(6, '0')}Z`;
const path = (t: string, file: string) => `communications/${t}/${file}`;

/** A record history in memory: a head that moves as commits are added, and every commit made. */
export class History {
  readonly source = new MemorySource();
  /** Every commit in the order made (parents first). */
  readonly commits: Oid[] = [];
  readonly snapshots = new Map<Oid, Snapshot>();
  #clock = 0;
  #messages = 0;
  head: Oid;

  constructor() {
    const s = new Snapshot().set(
      'COORDINATION_STATUS.yaml',
      renderStatus(initialStatus(RECORD, 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12' as Uuid)),
    );
    this.head = this.#commit(s, [], renderCommitMessage(subjects.createRecord, PLACE));
  }

  #tick(): number {
    return START + 3_600_000 + ++this.#clock * 1000;
  }

  #commit(s: Snapshot, parents: Oid[], message: string): Oid {
    const oid = this.source.commit(s, parents, message, this.#tick());
    if (!this.snapshots.has(oid)) this.commits.push(oid);
    this.snapshots.set(oid, s);
    return oid;
  }

  /** The snapshot of a commit. */
  at(oid: Oid = this.head): Snapshot {
    return this.snapshots.get(oid)!;
  }

  /** Commit a change of the snapshot at `on` (the head by default); moves the head when on it. */
  change(
    fn: (s: Snapshot) => Snapshot,
    on: Oid = this.head,
    message = renderCommitMessage(subjects.addMessage, PLACE),
  ): Oid {
    const oid = this.#commit(fn(this.at(on)), [on], message);
    if (on === this.head) this.head = oid;
    return oid;
  }

  /** A message by `who` with a fresh marker; its number is `this.lastMessage`. */
  message(who: Who, type: Message['type'] = cast[who].role): Message {
    const n = ++this.#messages;
    const p = cast[who];
    const ts = formatTimestamp(START + 3_600_000 + n * 1000 + 500) as Timestamp;
    return {
      id: `00000000-0000-4000-9000-${hex12(n)}` as MessageId,
      type,
      timestamp: ts,
      authorId: p.participant_id,
      author: p.display_name,
      body: `Note ${marker(n)}.`,
    };
  }

  /** The number of the last message made. */
  get lastMessage(): number {
    return this.#messages;
  }

  /** Create thread n with these participants and one message by the first. */
  createThread(n: number, who: Who[], opts: { restricted?: boolean; on?: Oid } = {}): Oid {
    const t = threadId(n);
    const m = this.message(who[0]!);
    const ledger: Ledger = {
      thread_id: t,
      status: 'open',
      created_at: formatTimestamp(START + n * 1000) as Timestamp,
      last_updated_at: m.timestamp,
      participants: who.map((w) => cast[w]),
      visibility: { sensitivity: 'standard', restricted: opts.restricted ?? false },
      policies: { allow_patient_participation: true, allow_external_organisations: true },
    };
    return this.change(
      (s) => s.set(path(t, 'ledger.yaml'), renderLedger(ledger)).set(path(t, 'messages.md'), renderMessages([m])),
      opts.on,
      renderCommitMessage(subjects.createThread, PLACE),
    );
  }

  /** Add a message by `who` to thread n. */
  say(n: number, who: Who, on?: Oid): Oid {
    const t = threadId(n);
    const m = this.message(who);
    return this.change(
      (s) =>
        withLedger(
          s.edit(path(t, 'messages.md'), (x) => appendMessages(x, [m])),
          t,
          (l) => ({ ...l, last_updated_at: m.timestamp }),
        ),
      on,
    );
  }

  /** Change thread n's ledger (participants, restriction) with a system message by `by`. */
  govern(n: number, by: Who, fn: (l: Ledger) => Ledger, on?: Oid): Oid {
    const t = threadId(n);
    const m = this.message(by, 'system');
    return this.change(
      (s) =>
        withLedger(
          s.edit(path(t, 'messages.md'), (x) => appendMessages(x, [m])),
          t,
          (l) => ({ ...fn(l), last_updated_at: m.timestamp }),
        ),
      on,
      renderCommitMessage(subjects.updateLedger, PLACE),
    );
  }

  /** Remove `who` from thread n. */
  remove(n: number, who: Who, by: Who, on?: Oid): Oid {
    return this.govern(
      n,
      by,
      (l) => ({ ...l, participants: l.participants.filter((p) => p.participant_id !== cast[who].participant_id) }),
      on,
    );
  }

  /** Add `who` to thread n. */
  add(n: number, who: Who, by: Who, on?: Oid): Oid {
    return this.govern(n, by, (l) => ({ ...l, participants: [...l.participants, cast[who]] }), on);
  }

  /** Mark thread n restricted or not. */
  restrict(n: number, restricted: boolean, by: Who, on?: Oid): Oid {
    return this.govern(n, by, (l) => ({ ...l, visibility: { ...l.visibility, restricted } }), on);
  }

  /** Change the record status file (visible to every reader). */
  status(fn: (text: string) => string, on?: Oid): Oid {
    return this.change(
      (s) => s.edit('COORDINATION_STATUS.yaml', fn),
      on,
      renderCommitMessage(subjects.updateStatus, PLACE),
    );
  }

  /** The deterministic sync merge of the head and `side` (SPEC 10); the head moves to it. Null on a conflict. */
  async merge(side: Oid): Promise<Oid | null> {
    const built = await buildSyncMerge(this.source, this.head, side, this.mergeBase(this.head, side));
    if (!built.ok) return null;
    for (const [oid, o] of built.value.objects) this.source.objects.set(oid, o);
    const merged = snapshotOf((oid) => this.source.objects.get(oid)!.content, built.value.tree);
    if (!this.snapshots.has(built.value.oid)) this.commits.push(built.value.oid);
    this.snapshots.set(built.value.oid, merged);
    this.head = built.value.oid;
    return built.value.oid;
  }

  /** The nearest common ancestor of two commits, each commit visited once. */
  mergeBase(a: Oid, b: Oid): Oid | null {
    const ancestors = new Set<Oid>();
    for (let todo = [a]; todo.length > 0;) {
      const x = todo.pop()!;
      if (ancestors.has(x)) continue;
      ancestors.add(x);
      todo.push(...this.parents(x));
    }
    const seen = new Set<Oid>();
    for (let level = [b]; level.length > 0;) {
      const hit = level.find((x) => ancestors.has(x));
      if (hit) return hit;
      level.forEach((x) => seen.add(x));
      level = [...new Set(level.flatMap((x) => this.parents(x)))].filter((x) => !seen.has(x));
    }
    return null;
  }

  /** The parents of a commit. */
  parents(oid: Oid): Oid[] {
    return parseCommit(this.source.objects.get(oid)!.content)!.parents;
  }

  /** The ledger of thread n at a commit, if the thread is there. */
  ledger(n: number, at: Oid = this.head): Ledger | undefined {
    const e = this.at(at).files.get(path(threadId(n), 'ledger.yaml'));
    if (!e) return undefined;
    const read = readStrictYaml(Buffer.from(e.content).toString());
    return read.ok ? (read.value as Ledger) : undefined;
  }
}

function withLedger(s: Snapshot, t: string, fn: (l: Ledger) => Ledger): Snapshot {
  const read = readStrictYaml(s.text(path(t, 'ledger.yaml')));
  if (!read.ok) throw new Error('unreadable ledger in a test history');
  return s.set(path(t, 'ledger.yaml'), renderLedger(fn(read.value as Ledger)));
}

/** The snapshot of a tree whose objects `get` gives (merges built by the project's code, views). */
export function snapshotOf(get: (oid: Oid) => Uint8Array, tree: Oid): Snapshot {
  let s = new Snapshot();
  const walk = (oid: Oid, prefix: string) => {
    const content = get(oid);
    let i = 0;
    while (i < content.length) {
      const sp = content.indexOf(0x20, i);
      const nul = content.indexOf(0, sp);
      const mode = Buffer.from(content.subarray(i, sp)).toString();
      const name = Buffer.from(content.subarray(sp + 1, nul)).toString();
      const child = Buffer.from(content.subarray(nul + 1, nul + 21)).toString('hex') as Oid;
      if (mode === '40000') walk(child, `${prefix}${name}/`);
      else s = s.set(`${prefix}${name}`, get(child));
      i = nul + 21;
    }
  };
  walk(tree, '');
  return s;
}

/** Every message marker in a text. */
export function markersIn(text: string): Set<string> {
  return new Set(text.match(/MARK\d{6}Z/g) ?? []);
}

/** Views of a memory history for one reader: built commit by commit, their objects kept apart from main's. */
export class MemoryViews {
  readonly store = new MemorySource();
  readonly source: ObjectSource;
  readonly builder: ViewBuilder;

  constructor(
    readonly history: History,
    reader: ViewReader,
  ) {
    const main = history.source;
    const store = this.store;
    this.source = {
      read: ((oid: Oid, limit?: number) =>
        store.objects.has(oid)
          ? store.read(oid, limit as number)
          : main.read(oid, limit as number)) as ObjectSource['read'],
    };
    this.builder = new ViewBuilder(reader, this.source, {
      viewOf: async () => undefined,
      isAncestor: ancestryBySource(this.source),
    });
  }

  /** The view of a commit (and of every commit before it, in the order made). */
  async of(oid: Oid = this.history.head): Promise<Oid> {
    for (const c of this.history.commits) {
      await this.builder.add(c);
      for (const [k, o] of this.builder.take()) this.store.objects.set(k, o);
      if (c === oid) break;
    }
    return this.builder.views.get(oid)!;
  }

  /** A commit of the view or of main, parsed. */
  async commit(oid: Oid): Promise<Commit> {
    return parseCommit((await this.source.read(oid))!.content)!;
  }

  /** Every object reachable from a view commit: ids and contents. */
  async reachable(tip: Oid): Promise<Map<Oid, { type: string; content: Uint8Array }>> {
    const out = new Map<Oid, { type: string; content: Uint8Array }>();
    const todo: Oid[] = [tip];
    while (todo.length > 0) {
      const oid = todo.pop()!;
      if (out.has(oid)) continue;
      const o = (await this.source.read(oid))!;
      out.set(oid, o);
      if (o.type === 'commit') {
        const c = parseCommit(o.content)!;
        todo.push(c.tree, ...c.parents);
      } else if (o.type === 'tree') todo.push(...parseTree(o.content)!.map((e) => e.oid));
    }
    return out;
  }

  /** The message markers in every object reachable from a view commit. */
  async markers(tip: Oid): Promise<Set<string>> {
    const out = new Set<string>();
    for (const o of (await this.reachable(tip)).values()) {
      for (const m of markersIn(Buffer.from(o.content).toString('latin1'))) out.add(m);
    }
    return out;
  }
}

/** Sources read one after the other. */
export function layered(...sources: ObjectSource[]): ObjectSource {
  return {
    read: (async (oid: Oid, limit?: number) => {
      for (const s of sources) {
        const o = limit === undefined ? await s.read(oid) : await s.read(oid, limit);
        if (o) return o;
      }
      return null;
    }) as ObjectSource['read'],
  };
}

/** A pusher's clone: commits made on its view, in a store of its own. */
export class Clone {
  readonly pushed = new MemorySource();
  #time = Date.UTC(2026, 0, 12, 10, 0, 0) / 1000;
  constructor(
    readonly views: MemoryViews,
    readonly who: Who,
  ) {}

  snapshot(commit: Oid): Snapshot {
    const get = (oid: Oid) =>
      this.pushed.objects.get(oid)?.content ??
      this.views.store.objects.get(oid)?.content ??
      this.views.history.source.objects.get(oid)!.content;
    return snapshotOf(get, parseCommit(get(commit))!.tree);
  }

  commit(
    s: Snapshot,
    parents: Oid[],
    message = renderCommitMessage(subjects.addMessage, PLACE),
    headers: Array<[string, string]> = [],
  ): Oid {
    const p = cast[this.who];
    const ident = {
      name: p.display_name,
      email: `${this.who}@ccr.invalid`,
      timestamp: this.#time++,
      timezone: '+0000',
    };
    const tree = snapshotTree(s, this.pushed.put);
    return this.pushed.put(
      'commit',
      formatCommit({ tree, parents, author: ident, committer: ident, extra: headers, message }),
    );
  }
}

/**
 * A reader that sees every thread but the restricted ones: not one the server serves (SPEC 12 has
 * integrations read `main` whole), but a second predicate for the properties, one that changes
 * with a ledger edit other than a removal.
 */
export const systemsReader: ViewReader = {
  key: '00000000-0000-4000-8000-000000000005',
  sees: (l) => !l.visibility.restricted,
};
