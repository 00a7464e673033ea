// Judging a push (SPEC 8): the ref rules for every ref line, then every new commit of `main`,
// oldest first, against its parent with the core rules and the server-only ones (principal,
// clock). Objects are read from the push's quarantine and the record (git/pushSource.ts). Each
// ref is judged from its own inputs; only parses of files already on `main` are reused.

import { EvaluationCache, evaluateCommit } from '../core/evaluate.js';
import { MissingObject, readCommitChecked, type NewObjects, type ObjectSource } from '../core/source.js';
import { commitSignatureFinding } from '../core/rules/commitSignature.js';
import type { RegisteredKey } from '../core/rules/signature.js';
import { error, ruleIds, verdict, type Finding } from '../core/findings.js';
import { runScope } from '../core/evaluate/runRules.js';
import { pushRules, refRules, walkRules } from '../core/rules/index.js';
import type { WalkInput } from '../core/rules/define.js';
import type { RecordId } from '../core/ids.js';
import { parseOid, type Oid } from '../core/objects.js';
import type { BindingLookup, ParticipantBinding, Principal } from '../core/principal.js';
import { openDatabase } from '../store/sqlite/db.js';
import { SqliteIdentityStore } from '../store/sqlite/identityStore.js';
import { gitIsAncestor, gitMergeBase } from '../git/mergeBase.js';
import { readPackObjects, UnreadPack } from '../git/packObjects.js';
import { PushSource } from '../git/pushSource.js';
import { IsoGitSource, ObjectCache, OverlaySource } from '../git/store.js';
import { ByteLru } from '../core/byteLru.js';
import type { HookCall, RefUpdate } from './hookEndpoint.js';
import { RepositoryBudget } from './repositoryBudget.js';
import { deriveEvents, type KnownEvents } from '../core/events.js';
import { ledgerDelta, type LedgerDelta } from '../core/threadLedgers.js';
import { forgetParsedLedgers } from '../core/parsedLedgers.js';
import { firstParentsSince } from '../git/firstParents.js';
import { MAIN } from '../git/refs.js';

/** Everything the validator judges a push from. */
export interface PushInput {
  kind?: 'push';
  gitdir: string;
  recordId: RecordId;
  principal: Principal;
  env: HookCall['env'];
  updates: RefUpdate[];
  /** Server time in ms. */
  now: number;
  /** The environment of the server's git (its configuration). */
  gitEnv: NodeJS.ProcessEnv;
  /** Judge commit contents; false keeps only the ref rules (a benchmark baseline) and, when asked, signatures. */
  content: boolean;
  /** The most commits one push may bring. */
  maxCommits: number;
  /**
   * Participant ids bound to participant principals: a map, or the identity database, which the
   * thread opens read-only once and asks per participant id (no copy of every principal per push).
   */
  bindings: ReadonlyMap<string, readonly ParticipantBinding[]> | { database: string };
  /**
   * Check commit signatures (issue 14; keys from the identity database of `bindings`): always the
   * ones present, and with `required` a signature by the pusher's key on every commit. Absent: no
   * signature check (the translated commits of a view push, whose view commits were checked).
   */
  signatures?: { required: boolean };
  /**
   * Judge ahead (server/prejudge.ts): the pushed objects come from this pack, as the request sent
   * it, instead of receive-pack's quarantine. What this judgement cannot settle on its own (an
   * object in neither the pack nor the record, a merge, a pack it does not read) makes it `unsure`.
   */
  pack?: Uint8Array;
}

/** The verdict of a push: findings (none means accept) and how many commits were judged. */
export interface PushVerdict {
  findings: Finding[];
  commits: number;
  /** A judgement ahead that could not settle the push, and why: it refuses, and the hook judges again. */
  unsure?: string;
}

/**
 * What `main` moving from `old` to `head` brings, derived on a validator thread once the move has
 * landed (deriveMove), with the functions the server reads `main` with: the move's events
 * (core/events.ts) and the thread ledgers it changed (core/threadLedgers.ts). The server uses
 * them only for that very move; for any other move it reads `main`.
 */
export interface MainAfter extends KnownEvents {
  ledgers: LedgerDelta;
}

/** Repository readers and parse caches kept between pushes to the same record (per thread). */
interface RepositoryState {
  objects: IsoGitSource;
  pushed: ObjectCache;
  cache: EvaluationCache;
}

/**
 * The bytes a validator thread keeps between pushes, for every record together: recent objects,
 * pack caches and parsed files (docs/benchmarks.md "Cache bounds"). A record's state alone is
 * bounded below it (2 + 2 MiB of objects, 8 MiB of parses, its packs).
 */
export const VALIDATOR_STATE_BYTES = 32 * 1024 * 1024;

const repositories = new RepositoryBudget<RepositoryState>(
  VALIDATOR_STATE_BYTES,
  32,
  (gitdir) => ({
    objects: new IsoGitSource(gitdir, 2 * 1024 * 1024, true),
    pushed: new ObjectCache(2 * 1024 * 1024),
    cache: new EvaluationCache(512, 8 * 1024 * 1024),
  }),
  (r) => r.objects.bytes + r.pushed.bytes + r.cache.bytes,
);

/**
 * What a validator thread keeps once idle: the most recent records' state, within 8 MiB. Its
 * parsed ledgers (core/parsedLedgers.ts, up to 8 MiB while it works: the ledgers a move changed)
 * are let go.
 */
export const VALIDATOR_IDLE_BYTES = 8 * 1024 * 1024;

/** Trim the records' state to what an idle thread keeps, and forget its parsed ledgers. */
export function trimIdleState(): number {
  forgetParsedLedgers();
  judgedAhead.clear();
  return repositories.trim(VALIDATOR_IDLE_BYTES);
}

const databases = new Map<string, SqliteIdentityStore>();

/** The binding look-up of a push: its map, or the identity database opened once per thread. */
function bindingLookup(b: PushInput['bindings']): BindingLookup {
  if (b instanceof Map || !('database' in b)) {
    return (id) => (b as ReadonlyMap<string, readonly ParticipantBinding[]>).get(id) ?? [];
  }
  const opened = database(b.database);
  return (id) => opened.bindingsNow(id);
}

function database(file: string): SqliteIdentityStore {
  let store = databases.get(file);
  if (!store) databases.set(file, (store = new SqliteIdentityStore(openDatabase(file, { readonly: true }))));
  return store;
}

/** The registered keys of a push: the identity database's, or none (a map of bindings, as the corpus gives). */
function keyLookup(b: PushInput['bindings']): (fingerprint: string) => RegisteredKey | null {
  if (b instanceof Map || !('database' in b)) return () => null;
  const opened = database(b.database);
  return (fp) => opened.keyByFingerprintNow(fp);
}

/** The `ccr/commit-signature` findings of the commits a push brings (they are read already, from the cache). */
async function signatureFindings(input: PushInput, source: ObjectSource, commits: Oid[]): Promise<Finding[]> {
  if (!input.signatures) return [];
  const key = keyLookup(input.bindings);
  for (const oid of commits) {
    const o = await source.read(oid);
    const read = o ? await readCommitChecked(source, oid) : null;
    if (!o || !read?.ok) continue; // the walk refused what it could not read
    const found = commitSignatureFinding(o.content, read.value.committer.timestamp, {
      pusher: input.principal.name,
      required: input.signatures.required,
      key,
      now: input.now,
    });
    // One finding names the first commit refused; later ones build on it.
    if (found) return [{ ...found, commit: oid }];
  }
  return [];
}

/**
 * The commits an update brings, parents before children, or a finding when it is not a
 * fast-forward. The walk goes from the new tip through the commits the push brought and stops at
 * commits already judged: those in the history of the old tip. A commit the repository holds but
 * `main` never had (one fetched from a peer by a sync round that then refused it) is judged like a
 * pushed one, so a merge cannot bring it in unjudged.
 */
async function newCommits(
  source: PushSource,
  u: { old: Oid; new: Oid },
  max: number,
  inHistory: (oid: Oid) => Promise<boolean>,
): Promise<{ commits: Oid[] } | WalkInput> {
  const order: Oid[] = [];
  const seen = new Set<string>([u.new]);
  const stack: Array<{ oid: Oid; expanded: boolean }> = [{ oid: u.new, expanded: false }];
  let reachesOld = false;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.expanded) {
      order.push(stack.pop()!.oid);
      continue;
    }
    top.expanded = true;
    if (order.length + stack.length > max) return { outcome: 'too-many', max };
    const read = await readCommitChecked(source, top.oid);
    // A malformed commit cannot be followed to its parents: it is refused for what it is.
    if (!read.ok) return { outcome: 'unreadable-commit', oid: top.oid, problem: read.problem };
    for (const parent of read.value.parents) {
      if (parent === u.old) reachesOld = true;
      if (seen.has(parent) || parent === u.old) continue;
      seen.add(parent);
      if (!(await source.existed(parent)) || !(await inHistory(parent))) stack.push({ oid: parent, expanded: false });
    }
  }
  if (!reachesOld) return { outcome: 'not-fast-forward', old: u.old };
  return { commits: order };
}

/** Judge one ref update on its own; `brought` holds the pushed objects when judging ahead. */
async function judgeUpdate(input: PushInput, u: RefUpdate, brought?: NewObjects): Promise<PushVerdict> {
  const at = (f: Finding): Finding => ({ ...f, path: f.path ?? u.ref });
  // The ref rules in the index's order; the first that finds something refuses the update.
  for (const rule of refRules) {
    const found = rule.run(u, { principal: input.principal });
    if (found.length > 0) return { findings: [at(found[0]!)], commits: 0 };
  }
  // The ref rules checked the ids' form; they are parsed here, once, for the walk below.
  const old = parseOid(u.old);
  const tip = parseOid(u.new);
  if (old === null || tip === null) throw new Error('a ref update passed the ref rules without full object ids');
  const { objects, pushed, cache } = repositories.get(input.gitdir);
  const env = { ...input.gitEnv, ...input.env };
  const source = brought
    ? new PushSource(undefined, objects, env, pushed, brought)
    : new PushSource(input.env.GIT_OBJECT_DIRECTORY, objects, env, pushed);
  try {
    const isAncestor = gitIsAncestor(input.gitdir, env);
    const walk = await newCommits(source, { old, new: tip }, input.maxCommits, (oid) => isAncestor(oid, old));
    if ('outcome' in walk) {
      // Fail closed: an outcome no walk rule judges refuses the update (as ccr/internal), never passes it.
      const found = runScope(walkRules, 'walk', walk, {});
      if (found.length === 0) throw new Error(`no walk rule judged the outcome ${walk.outcome}`);
      return { findings: found.slice(0, 1).map(at), commits: 0 };
    }
    const signed = await signatureFindings(input, source, walk.commits);
    if (signed.length || !input.content) return { findings: signed, commits: walk.commits.length };
    const lookup = bindingLookup(input.bindings);
    const findings: Finding[] = [];
    for (const oid of walk.commits) {
      const found = await evaluateCommit(source, oid, {
        recordId: input.recordId,
        now: input.now,
        principal: input.principal,
        bindings: lookup,
        cache,
        // git cannot see a pack's objects before receive-pack has stored them.
        mergeBase: brought ? () => Promise.reject(new Unsure('a merge commit')) : gitMergeBase(input.gitdir, env),
      });
      findings.push(...found);
      // Later commits build on a refused one; their findings would only repeat it.
      if (!verdict(found).ok) break;
    }
    // What the accepted update of main brought stays at hand for deriving its move once it lands.
    if (brought && u.ref === MAIN && verdict(findings).ok) {
      judgedAhead.delete(input.gitdir); // the record's latest push judged ahead replaces an earlier one
      judgedAhead.set(input.gitdir, { head: tip, brought }, bytesOf(brought));
    }
    return { findings, commits: walk.commits.length };
  } finally {
    source.close();
  }
}

/**
 * The objects of pushes judged ahead whose update of `main` was accepted, by record, until their
 * move is derived (deriveMove): at most 1 MiB a push, 4 MiB a thread. They stand for their ids
 * only once `main` is at their head, that is, once git has taken them.
 */
const judgedAhead = new ByteLru<{ head: Oid; brought: NewObjects }>(4 * 1024 * 1024);

/** Their bytes, and ~300 a held object (its map entry, id string and buffer header in V8). */
function bytesOf(objects: NewObjects): number {
  let n = 0;
  for (const o of objects.values()) n += o.content.length + 300;
  return n;
}

/** A move of `main` that landed, to derive what it brings (see MainAfter) after the push was answered. */
export interface DeriveInput {
  kind: 'derive';
  gitdir: string;
  recordId: RecordId;
  old: Oid;
  head: Oid;
}

/**
 * What a move of `main` that has landed brings (see MainAfter), read from the record, and from the
 * objects of its push when it was judged ahead on this thread; none when `old` is not a few first
 * parents back (the server then asks git) or an object is unreadable.
 */
export async function deriveMove(input: DeriveInput): Promise<MainAfter | undefined> {
  const { objects } = repositories.get(input.gitdir);
  const held = judgedAhead.get(input.gitdir);
  judgedAhead.delete(input.gitdir);
  // Landed, so git took them: in memory, they spare reading the pack it wrote.
  const source = held?.head === input.head ? new OverlaySource(objects, held.brought) : objects;
  try {
    const chain = await firstParentsSince(source, input.old, input.head);
    if (!chain) return undefined;
    return {
      old: input.old,
      head: input.head,
      events: await deriveEvents(source, input.recordId, input.old, chain),
      ledgers: await ledgerDelta(source, input.old, input.head),
    };
  } catch {
    return undefined; // the server reads them from `main` as before
  } finally {
    repositories.trim();
  }
}

/** One verdict for the updates of a push: all their findings and their commits. */
function together(verdicts: PushVerdict[]): PushVerdict {
  return {
    findings: verdicts.flatMap((v) => v.findings),
    commits: verdicts.reduce((n, v) => n + v.commits, 0),
  };
}

/** Judge every ref update of a push; the push is accepted only if no update has an error. */
export async function judgePush(input: PushInput): Promise<PushVerdict> {
  const refused = runScope(pushRules, 'push', { principal: input.principal }, {});
  if (refused.length > 0) return { findings: refused, commits: 0 };
  if (input.pack) return judgeAhead(input, input.pack);
  const verdicts = await Promise.all(input.updates.map((u) => judgeUpdate(input, u))).finally(() =>
    repositories.trim(),
  );
  return together(verdicts);
}

/** What judging ahead cannot settle: the hook's judgement, from the quarantine, will. */
class Unsure extends Error {}

/** Bytes a pack judged ahead may inflate to, every object together. */
const AHEAD_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Judge a push from the pack its request carried, while receive-pack indexes the same bytes. The
 * same rules on the same objects (each one hashed): only the objects' way in differs. Anything
 * unexpected makes the verdict `unsure`, which refuses, and never reaches the pusher.
 */
async function judgeAhead(input: PushInput, pack: Uint8Array): Promise<PushVerdict> {
  // Not kept among earlier pushes' objects: git has not yet checked these (its SHA-1 detects
  // collision attacks; Node's does not), and only what git took may stand for an id later.
  const { objects } = repositories.get(input.gitdir);
  try {
    const brought = await readPackObjects(pack, (oid) => objects.read(oid), AHEAD_MAX_BYTES);
    const verdicts = [];
    for (const u of input.updates) verdicts.push(await judgeUpdate(input, u, brought));
    return together(verdicts);
  } catch (e) {
    const unsure = e instanceof Unsure || e instanceof UnreadPack || e instanceof MissingObject;
    const why = unsure ? e.message : `an error: ${(e as Error).message}`;
    return { findings: [error(ruleIds.internal, `not judged ahead: ${why}`)], commits: 0, unsure: why };
  } finally {
    repositories.trim();
  }
}
