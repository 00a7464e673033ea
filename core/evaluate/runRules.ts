// Runs the rule index over data: a commit's changes phase by phase, and the rules of one scope.
// The rules are pure; this file only walks the changes in the order the index gives.

import type { Finding } from '../findings.js';
import type { ParsedMessage } from '../messages/grammar.js';
import { commitPhases, ledgerStateRules, readRules, type Phase } from '../rules/index.js';
import { judged, type CommitChanges, type RuleContext, type ThreadChange } from '../rules/context.js';
import type { LedgerInput, Rule, Scope, ScopeContext, ScopeInput } from '../rules/define.js';
import type { Ledger } from '../ledger.js';
import type { ReadItem } from './objectReader.js';
import { LEDGER_FILE, threadFilePath } from '../layout.js';

/** The findings of every rule of `rules` whose scope is `scope`, over one input, in order. */
export function runScope<S extends Scope>(
  rules: readonly Rule[],
  scope: S,
  input: ScopeInput[S],
  ctx: ScopeContext[S],
): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) if (rule.scope === scope) out.push(...run(rule, input, ctx));
  return out;
}

/** Run one rule on an input of its scope (the callers pair each rule's scope with its input). */
function run<S extends Scope>(rule: Rule, input: ScopeInput[S], ctx: ScopeContext[S]): Finding[] {
  return rule.run(input, ctx);
}

/** The rules a ledger keeps on its own, for a ledger a sync merge computes (core/mergeCommit.ts). */
export function judgeLedgerState(threadId: string, path: string, ledger: Ledger): Finding[] {
  return runScope(ledgerStateRules, 'ledger', { threadId, path, ledger }, {});
}

/** The rules of one thread in a per-thread phase: its ledger, the thread, each appended message. */
function judgeThread(rules: readonly Rule[], t: ThreadChange, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  const ledger = judged(t.newLedger);
  const ledgerInput: LedgerInput | null = ledger
    ? { threadId: t.threadId, path: threadFilePath(t.threadId, LEDGER_FILE), ledger }
    : null;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.scope === 'ledger' && ledgerInput) out.push(...run(rule, ledgerInput, ctx));
    if (rule.scope === 'thread') out.push(...run(rule, t, ctx));
    if (rule.scope !== 'message') continue;
    // Consecutive message rules run message by message, so a message's findings stay together.
    let j = i;
    while (j < rules.length && rules[j]!.scope === 'message') j++;
    if (ledger && t.appended.length > 0) out.push(...judgeMessages(rules.slice(i, j), t, ledger, ctx));
    i = j - 1;
  }
  return out;
}

/** The message rules over each appended message, with the blocks seen before it by id. */
function judgeMessages(rules: readonly Rule[], t: ThreadChange, ledger: Ledger, ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  // Blocks by id: a sync merge may hold two blocks with one id (docs/decisions.md, 19.6).
  const seen = new Map<string, ParsedMessage[]>();
  const remember = (m: ParsedMessage) => seen.set(m.id, [...(seen.get(m.id) ?? []), m]);
  t.earlier.forEach(remember);
  for (const message of t.appended) {
    for (const rule of rules) out.push(...run(rule, { thread: t, ledger, message, seen }, ctx));
    remember(message);
  }
  return out;
}

/** One phase over a commit's changes. */
function judgePhase(phase: Phase, changes: CommitChanges, ctx: RuleContext): Finding[] {
  if (phase.per === 'commit') return runScope(phase.rules, 'commit', changes, ctx);
  return changes.threads.flatMap((t) => judgeThread(phase.rules, t, ctx));
}

/** Run every rule of the index over the changes of a commit, phase by phase. */
export function judgeChanges(changes: CommitChanges, ctx: RuleContext): Finding[] {
  return commitPhases.flatMap((phase) => judgePhase(phase, changes, ctx));
}

/** The findings of what reading a commit met, in read order: problems as found, the rest judged by the read rules. */
export function judgeRead(items: readonly ReadItem[], ctx: RuleContext): Finding[] {
  return items.flatMap((item) => {
    if ('finding' in item) return [item.finding];
    if ('problem' in item) return runScope(readRules, 'problem', item.problem, ctx);
    if ('deleted' in item) return runScope(readRules, 'deleted', item.deleted, ctx);
    if ('rewritten' in item) return runScope(readRules, 'rewritten', item.rewritten, ctx);
    if ('unjudged' in item) return runScope(readRules, 'unjudged', item.unjudged, ctx);
    // A folder: its rules in order, each run of entry rules entry by entry.
    const { folder } = item;
    const out: Finding[] = [];
    for (let i = 0; i < readRules.length; i++) {
      const rule: Rule = readRules[i]!;
      if (rule.scope === 'folder') out.push(...run(rule, folder, ctx));
      if (rule.scope !== 'entry') continue;
      let j = i;
      while (j < readRules.length && readRules[j]!.scope === 'entry') j++;
      const entryRules: readonly Rule[] = readRules.slice(i, j);
      for (const entry of folder.entries) {
        for (const r of entryRules) out.push(...run(r, { folder: folder.folder, path: folder.path, entry }, ctx));
      }
      i = j - 1;
    }
    return out;
  });
}
