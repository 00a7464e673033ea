// The rule harness (issue 12): a rule is declared with its id, the scope it judges and a check.
// The harness, not the rule body, stamps the id and severity on every finding, so a rule cannot
// report under another rule's id (as remark-lint's `lintRule` and ESLint's `context.report` do).

import type { Finding, Place, RuleId } from '../findings.js';
import type { Ledger } from '../ledger.js';
import type { TreeEntry } from '../objects.js';
import type { ParsedMessage } from '../messages/grammar.js';
import type { Principal } from '../principal.js';
import type { ReaderProblem } from '../problems.js';
import type { SignatureContext } from './signature.js';
import type { CommitChanges, RuleContext, ThreadChange } from './context.js';

/** The place fields of a finding, which a rule may give with its message. */
export type Where = Place;

/** What a rule calls to report one finding: what was expected and found, and where. */
export type Report = (message: string, where?: Where) => void;

/** One ref line of a push, as the ref rules see it. */
export interface RefInput {
  ref: string;
  old: string;
  new: string;
}

/** How the walk from a pushed tip to the old one ended (data; the rules say what it means). */
export type WalkInput =
  | { outcome: 'too-many'; max: number }
  | { outcome: 'not-fast-forward'; old: string }
  | { outcome: 'unreadable-commit'; oid: string; problem: string }
  /** A view push (SPEC 12) on another view than the pusher's current one. */
  | { outcome: 'view-moved'; view: string; old: string }
  /** A view push whose line of commits does not reach the view it was pushed on. */
  | { outcome: 'view-not-on'; old: string; at: string }
  /** A view push holding a merge of `parents` commits. */
  | { outcome: 'view-merge'; parents: number; at: string };

/** Where a view push changed what it may not (SPEC 12). */
export type ViewPathInput =
  | { problem: 'not-a-folder'; commit: string }
  | { problem: 'id-in-use'; name: string; path: string; commit: string }
  | { problem: 'left-thread'; path: string; commit: string };

/** How a commit pushed from a view differs from the view of its translation (SPEC 12). */
export type ViewExactInput =
  | { problem: 'headers'; reason: string; commit: string }
  | { problem: 'changes-nothing'; commit: string }
  | { problem: 'not-its-view'; commit: string; got: string };

/** One ledger on its own, whatever came before: a changed ledger, or one a sync merge computes. */
export interface LedgerInput {
  /** The thread's folder name: a ThreadId from the change reader, any name from a sync merge. */
  threadId: string;
  path: string;
  ledger: Ledger;
}

/** One appended message of a thread, with the thread's ledger after the commit. */
export interface MessageInput {
  thread: ThreadChange;
  /** The thread's ledger after the commit. */
  ledger: Ledger;
  message: ParsedMessage;
  /** Blocks already in the thread by id (earlier ones, then those appended before this one). */
  seen: ReadonlyMap<string, readonly ParsedMessage[]>;
}

/** Which folder of a record a tree is. */
export type FolderKind = 'root' | 'communications' | 'thread';

/** A folder of the new tree, as the layout rules judge it. */
export interface FolderInput {
  folder: FolderKind;
  /** Relative to the record root ('' for the root). */
  path: string;
  /** The entries to judge (in `communications`, only the new or changed ones). */
  entries: readonly TreeEntry[];
  /** How many entries the folder has in all. */
  total: number;
}

/** One entry of a folder judged by the layout rules. */
export interface EntryInput {
  folder: FolderKind;
  path: string;
  entry: TreeEntry;
}

/** Something the parent had that the commit removes: the status file, a thread folder, a thread's file. */
export interface DeletedInput {
  what: 'status' | 'thread' | 'file';
  /** The file or folder, relative to the record root. */
  path: string;
  name: string;
}

/** A messages.md whose new bytes do not start with the old ones. */
export interface RewriteInput {
  oldBytes: Uint8Array;
  newBytes: Uint8Array;
  path: string;
}

/** The shape of a commit, judged before its contents are read. */
export interface ParentsInput {
  parents: number;
  /** A commit without parents is expected (the verifier's first commit). */
  allowRoot: boolean;
  /** Merge bases can be found, so a merge is judged as the sync merge (core/evaluate/judgeMerge.ts). */
  judgesMerges: boolean;
}

/** How a merge compares with the deterministic sync merge of its parents, when it is not that merge. */
export type MergeInput =
  | { outcome: 'conflict'; conflict: string }
  | { outcome: 'differs'; expected: string; a: string; b: string; why: string };

/** A file the parent commit held unreadable (or not at all): what it governs takes no change. */
export interface UnjudgedInput {
  what: 'ledger' | 'status';
  path: string;
}

/** A commit's signature to judge, or a write through the API that can carry none (SPEC 7). */
export type SignatureInput =
  | { source: 'commit'; content: Uint8Array; commitSeconds: number; policy: SignatureContext }
  | { source: 'api-write'; pusher: string };

/**
 * A write refused before any commit exists, as data: a check of the service (the thread is closed,
 * the author may not write this), an API write (an auditor, an integration naming no author), or a
 * push the server turns away before judging it (a view's pusher removed from every thread, `main`
 * moved under the push). `reason` is the service's own sentence, kept as it is.
 */
export type RefusedWrite =
  | { refused: 'thread-closed'; reason: string }
  | { refused: 'author'; change: 'ledger' | 'correction' | 'message'; reason: string }
  | { refused: 'auditor' }
  | { refused: 'no-author-id' }
  | { refused: 'view-read-only'; recordId: string; principal: string }
  | { refused: 'main-moved'; ref: string; expected: string; found: string | null; why: string };

/** What a walk over a whole history (`ccr verify`) finds before it judges commit by commit. */
export type HistoryInput =
  | { problem: 'no-main' }
  | { problem: 'roots'; count: number; at: string }
  | { problem: 'no-record-id'; commit: string };

/** What each scope's check is given. */
export interface ScopeInput {
  /** The principal of a push, before any of its refs is read. */
  push: { principal: Principal };
  /** One ref update of a push. */
  ref: RefInput;
  /** The end of the walk over the commits one ref update brings. */
  walk: WalkInput;
  /** Everything one commit changes. */
  commit: CommitChanges;
  /** One thread a commit touches. */
  thread: ThreadChange;
  /** One ledger, judged on its own. */
  ledger: LedgerInput;
  /** One message a commit appends. */
  message: MessageInput;
  /** One folder of the new tree. */
  folder: FolderInput;
  /** One entry of a folder of the new tree. */
  entry: EntryInput;
  /** One file or folder the commit deletes. */
  deleted: DeletedInput;
  /** One messages.md rewritten rather than appended to. */
  rewritten: RewriteInput;
  /** A file before the commit that cannot be read. */
  unjudged: UnjudgedInput;
  /** The parents of one commit. */
  parents: ParentsInput;
  /** One merge that is not the deterministic sync merge. */
  merge: MergeInput;
  /** One thread a view push changes where it may not. */
  'view-path': ViewPathInput;
  /** One view commit that is not the view of its translation. */
  'view-exact': ViewExactInput;
  /** One problem a format reader found in a file (core/problems.ts). */
  problem: ReaderProblem;
  /** One commit's signature (or an API write) against the signing policy. */
  signature: SignatureInput;
  /** One write refused before any commit exists. */
  write: RefusedWrite;
  /** One problem of a whole history, met before its commits are judged. */
  history: HistoryInput;
}

/** How much a finding weighs: only errors refuse a change. */
export type Severity = 'error' | 'warning';

/** A scope: what one run of a rule looks at. */
export type Scope = keyof ScopeInput;

/**
 * What a rule of each scope knows besides its input. Ref, walk and push rules are judged before
 * any record content is read, and a ledger on its own needs nothing else (a sync merge judges
 * ledgers with no pusher and no clock): those get what is known, maybe nothing.
 */
export interface ScopeContext {
  push: Partial<RuleContext>;
  ref: Partial<RuleContext>;
  walk: Partial<RuleContext>;
  commit: RuleContext;
  thread: RuleContext;
  ledger: Partial<RuleContext>;
  message: RuleContext;
  folder: Partial<RuleContext>;
  entry: Partial<RuleContext>;
  deleted: Partial<RuleContext>;
  rewritten: Partial<RuleContext>;
  unjudged: Partial<RuleContext>;
  parents: Partial<RuleContext>;
  merge: Partial<RuleContext>;
  'view-path': Partial<RuleContext>;
  'view-exact': Partial<RuleContext>;
  problem: Partial<RuleContext>;
  signature: Partial<RuleContext>;
  write: Partial<RuleContext>;
  history: Partial<RuleContext>;
}

/** A rule as its file declares it. */
export interface RuleDefinition<Id extends string, S extends Scope> {
  id: Id;
  scope: S;
  /** Only errors refuse a change; every rule of SPEC 8 is one. */
  severity?: Severity;
  check(input: ScopeInput[S], ctx: ScopeContext[S], report: Report): void;
}

/** A declared rule: its id and scope, and `run`, which gives its findings stamped with its id. */
export interface Rule<Id extends string = RuleId, S extends Scope = Scope> {
  readonly id: Id;
  readonly scope: S;
  readonly severity: Severity;
  run(input: ScopeInput[S], ctx: ScopeContext[S]): Array<Finding<Id>>;
}

/** Declare a rule; the findings its check reports carry its id and severity, whatever it passes. */
export function defineRule<const Id extends `ccr/${string}`, S extends Scope>(def: RuleDefinition<Id, S>): Rule<Id, S> {
  const severity = def.severity ?? 'error';
  return {
    id: def.id,
    scope: def.scope,
    severity,
    run(input, ctx) {
      const out: Array<Finding<Id>> = [];
      // The place fields are copied one by one: a `where` holding `rule` or `severity` (from a
      // cast, or a spread finding) cannot override the stamp.
      def.check(input, ctx, (message, where = {}) => out.push({ rule: def.id, severity, message, ...place(where) }));
      return out;
    },
  };
}

/** The place fields of `where`, and nothing else. */
function place(where: Where): Where {
  const out: Where = {};
  if (where.path !== undefined) out.path = where.path;
  if (where.messageId !== undefined) out.messageId = where.messageId;
  if (where.line !== undefined) out.line = where.line;
  if (where.commit !== undefined) out.commit = where.commit;
  return out;
}
