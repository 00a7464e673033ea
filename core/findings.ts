// What a rule reports. A verdict is data: only findings of severity `error` refuse a change.

import type { RuleId } from './rules/ids.js';

// The ids are a leaf list (core/rules/ids.ts) that the rule index is checked against; they are
// re-exported here, where every caller has always found them.
export { ruleIds, type RuleId } from './rules/ids.js';

/** Where a finding points: a file or folder, a message, a line, a commit. */
export interface Place {
  /** The file or folder, relative to the record root. */
  path?: string;
  messageId?: string;
  /** 1-based line in the file, where known. */
  line?: number;
  /** The commit judged, when the finding comes from a history walk. */
  commit?: string;
}

/** One thing a rule found (`R` narrows the id, for the findings of one rule). */
export interface Finding<R extends string = RuleId> extends Place {
  rule: R;
  severity: 'error' | 'warning';
  /** What was expected, and what was found. */
  message: string;
}

/** The judgement of a change: ok when no finding is an error. */
export interface Verdict {
  ok: boolean;
  findings: Finding[];
}

/** Build an error finding; `where` holds the optional place fields. */
export function error(rule: RuleId, message: string, where: Place = {}): Finding {
  return { rule, severity: 'error', message, ...where };
}

/** The errors among findings: those that refuse a change. */
export function errorsOf(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}

/** The verdict of a list of findings. */
export function verdict(findings: Finding[]): Verdict {
  return { ok: errorsOf(findings).length === 0, findings };
}

/** One line of refusal text: rule id, path, message id or line, what was expected, and the commit. */
export function formatFinding(f: Finding): string {
  const place = [
    f.path,
    f.messageId ? `message ${f.messageId}` : undefined,
    f.line !== undefined ? `line ${f.line}` : undefined,
  ]
    .filter((x) => x !== undefined)
    .join(' ');
  const commit = f.commit ? ` (commit ${f.commit.slice(0, 12)})` : '';
  return `${f.rule}${place ? ' ' + place : ''}: ${f.message}${commit}`;
}
