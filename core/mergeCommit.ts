// The deterministic sync merge commit (SPEC 10), built from its two parents and their merge base
// through an object source: the same inputs give the same objects and the same commit id at every
// site. Folders and files one side left as they were are taken whole; only what both sides
// changed is merged (core/merge.ts). Author, committer, time and message come from the parents.

import { parseCommitMessage, renderCommitMessage } from './commitMessage.js';
import type { Finding } from './findings.js';
import { MissingObject, putObject, readCommit, readTree, type NewObjects, type ObjectSource } from './source.js';
import { readLedger, renderLedger } from './ledger.js';
import { mergeLedger, mergeMessages, mergeStatus, type Merged } from './merge.js';
import { parseMessages } from './messages/grammar.js';
import {
  formatCommit,
  formatTree,
  type Commit,
  type Ident,
  type ObjectType,
  type Oid,
  type TreeEntry,
} from './objects.js';
import { judgeLedgerState } from './evaluate/runRules.js';
import {
  COMMUNICATIONS,
  FILE_MODE,
  FOLDER_MODE,
  LEDGER_FILE,
  MESSAGES_FILE,
  STATUS_FILE,
  threadFilePath,
  threadFolder,
} from './layout.js';
import { readStatus, renderStatus } from './status.js';
import { decodeUtf8 } from './text.js';
import { checkLedger, checkStatus } from './rules/checkYaml.js';

/** A merge commit built in memory: its id, and every object it needs that is new. */
export interface MergeBuild {
  oid: Oid;
  tree: Oid;
  commit: Uint8Array;
  objects: Map<Oid, { type: ObjectType; content: Uint8Array }>;
}

/** Who writes every sync merge. */
export const SYNC_AUTHOR = { name: 'CCR Sync', email: 'sync@ccr.invalid' } as const;
/** The subject of every sync merge. */
export const MERGE_SUBJECT = 'coordination:update: Merged concurrent updates';

class Builder {
  readonly objects: NewObjects = new Map();
  constructor(readonly source: ObjectSource) {}

  put(type: ObjectType, content: Uint8Array): Oid {
    return putObject(this.objects, type, content);
  }

  tree(oid: Oid | undefined): Promise<TreeEntry[]> {
    return readTree(this.source, oid);
  }

  async text(oid: Oid | undefined): Promise<string | null> {
    if (!oid) return null;
    const o = await this.source.read(oid);
    if (!o) throw new MissingObject(oid);
    return decodeUtf8(o.content);
  }
}

const find = (entries: TreeEntry[], name: string) => entries.find((e) => e.name === name);
const rulesOf = (findings: Finding[]) => [...new Set(findings.map((f) => f.rule))].join(', ');

/** The one side that changed, when the other kept the base's object; undefined when both changed. */
function oneSide(base: Oid | undefined, a: Oid | undefined, b: Oid | undefined): Oid | undefined | null {
  if (a === b) return a;
  if (a === base) return b;
  if (b === base) return a;
  return null;
}

/** Merge one thread folder that both sides changed. */
async function mergeThread(
  bd: Builder,
  name: string,
  base: TreeEntry | undefined,
  a: TreeEntry,
  b: TreeEntry,
): Promise<Merged<TreeEntry>> {
  const [eb, ea, eo] = [await bd.tree(base?.oid), await bd.tree(a.oid), await bd.tree(b.oid)];
  const oid = (entries: TreeEntry[], file: string) => find(entries, file)?.oid;
  let messages = oneSide(oid(eb, MESSAGES_FILE), oid(ea, MESSAGES_FILE), oid(eo, MESSAGES_FILE));
  let latest: string | null = null;
  if (messages === null) {
    const merged = mergeMessages(
      await bd.text(oid(eb, MESSAGES_FILE)),
      (await bd.text(oid(ea, MESSAGES_FILE))) ?? '',
      (await bd.text(oid(eo, MESSAGES_FILE))) ?? '',
    );
    if (!merged.ok) return { ok: false, conflict: `${threadFolder(name)}: ${merged.conflict}` };
    messages = bd.put('blob', Buffer.from(merged.value));
    latest =
      parseMessages(merged.value)
        .messages.map((m) => m.timestamp)
        .sort()
        .pop() ?? null;
  }
  let ledger = oneSide(oid(eb, LEDGER_FILE), oid(ea, LEDGER_FILE), oid(eo, LEDGER_FILE));
  const read = async (o: Oid | undefined) => {
    const text = o ? await bd.source.read(o) : null;
    const r = text ? readLedger(text.content) : null;
    return r?.ok ? r.value : null;
  };
  const taken = ledger ? await read(ledger) : null;
  if (ledger === null || (latest && taken && taken.last_updated_at < latest)) {
    const [lb, la, lo] = [
      await read(oid(eb, LEDGER_FILE)),
      await read(oid(ea, LEDGER_FILE)),
      await read(oid(eo, LEDGER_FILE)),
    ];
    if (!la || !lo) return { ok: false, conflict: `${threadFolder(name)}: a ledger cannot be read` };
    const bytes = Buffer.from(renderLedger(mergeLedger(lb, la, lo, latest)));
    // The merged ledger is judged by the same file rules as any ledger a commit writes.
    const path = threadFilePath(name, LEDGER_FILE);
    const check = checkLedger(bytes, path);
    const findings = check.ok ? judgeLedgerState(name, path, check.value) : check.findings;
    if (findings.length > 0)
      return { ok: false, conflict: `${path}: the merged ledger breaks ${rulesOf(findings)}`, findings };
    ledger = bd.put('blob', bytes);
  }
  if (!messages || !ledger) return { ok: false, conflict: `${threadFolder(name)}: a thread file is missing` };
  const tree = bd.put(
    'tree',
    formatTree([
      { mode: FILE_MODE, name: LEDGER_FILE, oid: ledger },
      { mode: FILE_MODE, name: MESSAGES_FILE, oid: messages },
    ]),
  );
  return { ok: true, value: { mode: FOLDER_MODE, name, oid: tree } };
}

/** The merge of the two folders of threads. */
async function mergeCommunications(
  bd: Builder,
  base: Oid | undefined,
  a: Oid | undefined,
  b: Oid | undefined,
): Promise<Merged<Oid | undefined>> {
  const same = oneSide(base, a, b);
  if (same !== null) return { ok: true, value: same };
  const [eb, ea, eo] = [await bd.tree(base), await bd.tree(a), await bd.tree(b)];
  const out: TreeEntry[] = [];
  for (const name of [...new Set([...ea, ...eo].map((e) => e.name))].sort()) {
    const [tb, ta, to] = [find(eb, name), find(ea, name), find(eo, name)];
    const one = oneSide(tb?.oid, ta?.oid, to?.oid);
    if (one !== null) {
      if (one) out.push({ mode: FOLDER_MODE, name, oid: one });
      continue;
    }
    const merged = await mergeThread(bd, name, tb, ta!, to!);
    if (!merged.ok) return merged;
    out.push(merged.value);
  }
  return { ok: true, value: bd.put('tree', formatTree(out)) };
}

/** The status file merged. */
async function mergeStatusFile(
  bd: Builder,
  base: Oid | undefined,
  a: Oid | undefined,
  b: Oid | undefined,
): Promise<Merged<Oid | undefined>> {
  const same = oneSide(base, a, b);
  if (same !== null) return { ok: true, value: same };
  const read = async (o: Oid | undefined) => {
    const blob = o ? await bd.source.read(o) : null;
    const r = blob ? readStatus(blob.content) : null;
    return r?.ok ? r.value : null;
  };
  const [sb, sa, so] = [await read(base), await read(a), await read(b)];
  if (!sb || !sa || !so) return { ok: false, conflict: `${STATUS_FILE} cannot be read on every side` };
  const bytes = Buffer.from(renderStatus(mergeStatus(sb, sa, so)));
  const check = checkStatus(bytes);
  if (!check.ok)
    return {
      ok: false,
      conflict: `${STATUS_FILE}: the merged status breaks ${rulesOf(check.findings)}`,
      findings: check.findings,
    };
  return { ok: true, value: bd.put('blob', bytes) };
}

/** Care-Location of the first parent that has one. */
function careLocation(parents: Commit[]): string {
  for (const c of parents) {
    const m = parseCommitMessage(c.message);
    if (m.ok) return m.value.careLocation;
  }
  return 'CCR sync';
}

/** Build the deterministic merge of two commits with their merge base (null: none). */
export async function buildSyncMerge(
  source: ObjectSource,
  x: Oid,
  y: Oid,
  base: Oid | null,
): Promise<Merged<MergeBuild>> {
  const [p1, p2] = x < y ? [x, y] : [y, x];
  const bd = new Builder(source);
  const commits = await Promise.all([p1, p2, ...(base ? [base] : [])].map((o) => readCommit(source, o)));
  const [c1, c2, cb] = commits;
  if (!c1 || !c2 || (base && !cb))
    return { ok: false, conflict: 'a parent or the merge base is not a well-formed commit' };
  const [rb, r1, r2] = [await bd.tree(cb?.tree), await bd.tree(c1.tree), await bd.tree(c2.tree)];
  const status = await mergeStatusFile(
    bd,
    find(rb, STATUS_FILE)?.oid,
    find(r1, STATUS_FILE)?.oid,
    find(r2, STATUS_FILE)?.oid,
  );
  if (!status.ok) return status;
  const comms = await mergeCommunications(
    bd,
    find(rb, COMMUNICATIONS)?.oid,
    find(r1, COMMUNICATIONS)?.oid,
    find(r2, COMMUNICATIONS)?.oid,
  );
  if (!comms.ok) return comms;
  const entries: TreeEntry[] = [];
  if (status.value) entries.push({ mode: FILE_MODE, name: STATUS_FILE, oid: status.value });
  if (comms.value) entries.push({ mode: FOLDER_MODE, name: COMMUNICATIONS, oid: comms.value });
  const tree = bd.put('tree', formatTree(entries));
  const ident: Ident = {
    ...SYNC_AUTHOR,
    timestamp: Math.max(c1.committer.timestamp, c2.committer.timestamp),
    timezone: '+0000',
  };
  const commit = formatCommit({
    tree,
    parents: [p1, p2],
    author: ident,
    committer: ident,
    message: renderCommitMessage(MERGE_SUBJECT, careLocation([c1, c2])),
  });
  return { ok: true, value: { oid: bd.put('commit', commit), tree, commit, objects: bd.objects } };
}
