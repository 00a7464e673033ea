// The events of a record (issue 16): what changed when its `main` moved, derived from the commits
// between the old and the new `main`. Only identifiers, kinds, commits and times: never a message
// body, a name, a status text or any other clinical content. Each event carries its audience (the
// participant ids whose view holds it, SPEC 12) for the feed to filter on; the audience is never
// shown. Pure: objects come from a source.

import type { Ledger } from './ledger.js';
import { parsedLedger } from './parsedLedgers.js';
import type { Oid } from './objects.js';
import { COMMUNICATIONS, LEDGER_FILE, MESSAGES_FILE, isFolder } from './layout.js';
import { MissingObject, readCommit, readTree, type ObjectSource } from './source.js';

/** The kinds of events, in the order they are derived within one commit. */
export const eventKinds = [
  'record.created',
  'record.updated',
  'thread.created',
  'thread.updated',
  'message.added',
] as const;
/** An event kind. */
export type EventKind = (typeof eventKinds)[number];

/** What a ledger change touched (field names only, never their values). */
export type LedgerChange = 'status' | 'participants' | 'visibility' | 'policies';

/** One event as derived. */
export interface RecordEvent {
  kind: EventKind;
  record: string;
  thread?: string;
  message?: string;
  /** For thread.updated: which parts of the ledger changed. */
  changes?: LedgerChange[];
  /** The commit of `main`'s first-parent history that made the change. */
  commit: Oid;
  /** `main` after the move that brought the change. */
  head: Oid;
  /** The commit's committer time, ISO 8601 UTC. */
  time: string;
  /** Participant ids that may see it; `everyone` false: only admins and the like. Internal. */
  audience: string[];
}

/** The events of one move of `main`, from `old` to `head`, derived already (server/validator.ts). */
export interface KnownEvents {
  old: Oid;
  head: Oid;
  events: RecordEvent[];
}

/** True for a known event kind. */
export function isEventKind(v: unknown): v is EventKind {
  return typeof v === 'string' && (eventKinds as readonly string[]).includes(v);
}

interface ThreadState {
  folder: Oid;
  ledger?: Oid;
  messages?: Oid;
}

interface State {
  tree: Oid | null;
  /** Root entries other than `communications`, by name. */
  root: Map<string, Oid>;
  threads: Map<string, ThreadState>;
}

const EMPTY: State = { tree: null, root: new Map(), threads: new Map() };

/** The message ids of a messages.md text, in order (the `**ID:**` field of each block). */
export function messageIds(text: string): string[] {
  const out: string[] = [];
  const re = /(?:^|\n)## Message\n\n\*\*ID:\*\* `([0-9a-f-]{36})`/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m[1]!);
  return out;
}

/** Reads the objects a derivation needs; ledgers through the shared parses (core/parsedLedgers.ts). */
class Objects {
  constructor(readonly source: ObjectSource) {}

  async state(commit: Oid): Promise<State> {
    const c = await readCommit(this.source, commit);
    if (!c) throw new MissingObject(commit);
    const root = new Map<string, Oid>();
    const threads = new Map<string, ThreadState>();
    for (const e of await readTree(this.source, c.tree)) {
      if (e.name !== COMMUNICATIONS) {
        root.set(e.name, e.oid);
        continue;
      }
      for (const t of await readTree(this.source, e.oid)) if (isFolder(t)) threads.set(t.name, { folder: t.oid });
    }
    return { tree: c.tree, root, threads };
  }

  /** Fill in a thread's file ids (only for threads that changed). */
  async files(t: ThreadState): Promise<ThreadState> {
    if (t.ledger !== undefined || t.messages !== undefined) return t;
    for (const e of await readTree(this.source, t.folder)) {
      if (e.name === LEDGER_FILE) t.ledger = e.oid;
      if (e.name === MESSAGES_FILE) t.messages = e.oid;
    }
    return t;
  }

  async ledger(oid: Oid | undefined): Promise<Ledger | null> {
    return oid === undefined ? null : parsedLedger(this.source, oid);
  }

  async text(oid: Oid | undefined): Promise<string> {
    if (oid === undefined) return '';
    const o = await this.source.read(oid);
    return o ? Buffer.from(o.content).toString('utf8') : '';
  }
}

const ids = (l: Ledger | null) => (l ? l.participants.map((p) => p.participant_id) : []);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Which parts of a ledger changed between two versions. */
export function ledgerChanges(before: Ledger, after: Ledger): LedgerChange[] {
  const out: LedgerChange[] = [];
  if (before.status !== after.status) out.push('status');
  if (
    !same(ids(before), ids(after)) ||
    !same(
      before.participants.map((p) => p.role),
      after.participants.map((p) => p.role),
    )
  )
    out.push('participants');
  if (!same(before.visibility, after.visibility)) out.push('visibility');
  if (!same(before.policies, after.policies)) out.push('policies');
  return out;
}

/** The participants of every thread of a state (for record-wide events). */
async function everyone(objects: Objects, s: State): Promise<string[]> {
  const all = new Set<string>();
  for (const t of s.threads.values())
    for (const id of ids(await objects.ledger((await objects.files(t)).ledger))) all.add(id);
  return [...all];
}

/**
 * The events of `main` moving from `old` (null: the record was just made) along `chain`: the
 * commits of the new `main`'s first-parent history after `old`, oldest first, ending at the new
 * head. Each step compares a commit's tree with the one before it on that chain (for the first,
 * `old`'s); threads and messages are reported the first time they appear, never again, whatever
 * the path: a merge brings what it merged once, and when `old` is not on the new first-parent
 * chain (a fast-forward to a peer's merge) nothing already in `old` comes again.
 */
export async function deriveEvents(
  source: ObjectSource,
  record: string,
  old: Oid | null,
  chain: readonly Oid[],
): Promise<RecordEvent[]> {
  const objects = new Objects(source);
  const head = chain.at(-1);
  if (head === undefined) return [];
  const out: RecordEvent[] = [];
  const start = old === null ? EMPTY : await objects.state(old);
  let before = start;
  // Message ids known per thread: those of `old` (read when the thread first changes), then each reported one.
  const known = new Map<string, Set<string>>();
  const knownOf = async (thread: string): Promise<Set<string>> => {
    let ids = known.get(thread);
    if (!ids) {
      const t = start.threads.get(thread);
      ids = new Set(t ? messageIds(await objects.text((await objects.files(t)).messages)) : []);
      known.set(thread, ids);
    }
    return ids;
  };
  for (const commit of chain) {
    const c = await readCommit(source, commit);
    if (!c) throw new MissingObject(commit);
    const time = new Date(c.committer.timestamp * 1000).toISOString();
    const now = await objects.state(commit);
    const base = { record, commit, head, time };
    if (before.tree === null) {
      out.push({ ...base, kind: 'record.created', audience: await everyone(objects, now) });
    } else if (
      now.tree !== before.tree &&
      [...new Set([...now.root.keys(), ...before.root.keys()])].some((k) => now.root.get(k) !== before.root.get(k))
    ) {
      out.push({ ...base, kind: 'record.updated', audience: await everyone(objects, now) });
    }
    for (const [thread, t] of now.threads) {
      const was = before.threads.get(thread);
      if (was?.folder === t.folder) continue;
      const files = await objects.files(t);
      const ledger = await objects.ledger(files.ledger);
      const audience = ids(ledger);
      let earlier = '';
      if (!was) {
        if (!start.threads.has(thread) && !known.has(thread))
          out.push({ ...base, kind: 'thread.created', thread, audience });
      } else {
        const prior = await objects.files(was);
        const then = await objects.ledger(prior.ledger);
        if (prior.ledger !== files.ledger && then && ledger) {
          const changes = ledgerChanges(then, ledger);
          // One removed sees the change that removed it (its view keeps that commit, SPEC 12).
          if (changes.length > 0)
            out.push({
              ...base,
              kind: 'thread.updated',
              thread,
              changes,
              audience: [...new Set([...ids(then), ...audience])],
            });
        }
        if (prior.messages === files.messages) continue;
        earlier = await objects.text(prior.messages);
      }
      const seen = await knownOf(thread);
      const text = await objects.text(files.messages);
      // messages.md only grows (ccr/append-only): usually the new blocks follow the earlier text.
      const candidates = text.startsWith(earlier)
        ? messageIds(text.slice(Math.max(0, earlier.length - 1)))
        : messageIds(text);
      for (const message of candidates) {
        if (seen.has(message)) continue;
        seen.add(message);
        out.push({ ...base, kind: 'message.added', thread, message, audience });
      }
    }
    before = now;
  }
  return out;
}
