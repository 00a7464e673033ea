// The rule harness (issue 12): a rule is declared with its id, the scope it judges and a check.
// The harness, not the rule body, stamps the id and severity on every finding, so a rule cannot
// report under another rule's id (as remark-lint's `lintRule` and ESLint's `context.report` do).

import type { Finding, Place, RuleId } from '../findings.js';
import type { Ledger } from '../ledger.js';
import type { ParsedMessage } from '../messages/grammar.js';
import type { Principal } from '../principal.js';
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
  | { outcome: 'unreadable-commit'; oid: string; problem: string };

/** One ledger on its own, whatever came before: a changed ledger, or one a sync merge computes. */
export interface LedgerInput {
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
    id: def.id, scope: def.scope, severity,
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
