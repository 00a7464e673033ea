// What a rule reports. A verdict is data: only findings of severity `error` refuse a change.

/** The stable id of every rule of SPEC section 8, as printed in refusals. */
export const ruleIds = {
  // refs (server)
  refName: 'ccr/ref-name',
  refDelete: 'ccr/ref-delete',
  refCreate: 'ccr/ref-create',
  refFastForward: 'ccr/ref-fast-forward',
  // git objects themselves (trees and commits as git fsck reads them)
  objectFormat: 'ccr/object-format',
  // tree
  treeLayout: 'ccr/tree-layout',
  treeMode: 'ccr/tree-mode',
  blobSize: 'ccr/blob-size',
  // messages.md
  appendOnly: 'ccr/append-only',
  messageFormat: 'ccr/message-format',
  messageChars: 'ccr/message-chars',
  messageAmbiguous: 'ccr/message-ambiguous',
  messageLimits: 'ccr/message-limits',
  messageId: 'ccr/message-id',
  messageTimestamp: 'ccr/message-timestamp',
  messageAuthor: 'ccr/message-author',
  messageType: 'ccr/message-type',
  messageCorrection: 'ccr/message-correction',
  threadNotOpen: 'ccr/thread-not-open',
  patientParticipation: 'ccr/patient-participation',
  // ledger.yaml
  ledgerFormat: 'ccr/ledger-format',
  ledgerSchema: 'ccr/ledger-schema',
  ledgerIdentity: 'ccr/ledger-identity',
  ledgerLastUpdated: 'ccr/ledger-last-updated',
  ledgerTransition: 'ccr/ledger-transition',
  ledgerFrozen: 'ccr/ledger-frozen',
  ledgerSystemMessage: 'ccr/ledger-system-message',
  // COORDINATION_STATUS.yaml
  statusFormat: 'ccr/status-format',
  statusSchema: 'ccr/status-schema',
  statusIdentity: 'ccr/status-identity',
  recordFrozen: 'ccr/record-frozen',
  recordClosed: 'ccr/record-closed',
  // commits
  commitFormat: 'ccr/commit-format',
  commitAction: 'ccr/commit-action',
  commitParents: 'ccr/commit-parents',
  commitTime: 'ccr/commit-time',
  commitSignature: 'ccr/commit-signature',
  merge: 'ccr/merge',
  // who (server)
  whoAuthor: 'ccr/who-author',
  whoThread: 'ccr/who-thread',
  whoStatus: 'ccr/who-status',
  whoWrite: 'ccr/who-write',
  whoParticipant: 'ccr/who-participant',
  // pushes from a participant's view (SPEC 12)
  viewPath: 'ccr/view-path',
  viewExact: 'ccr/view-exact',
  // the pipeline itself
  parseBudget: 'ccr/parse-budget',
  quota: 'ccr/quota',
  internal: 'ccr/internal',
} as const;

/** A stable rule id such as `ccr/append-only`. */
export type RuleId = (typeof ruleIds)[keyof typeof ruleIds];

/** One thing a rule found. */
export interface Finding {
  rule: RuleId;
  severity: 'error' | 'warning';
  /** The file or folder, relative to the record root. */
  path?: string;
  messageId?: string;
  /** 1-based line in the file, where known. */
  line?: number;
  /** The commit judged, when the finding comes from a history walk. */
  commit?: string;
  /** What was expected, and what was found. */
  message: string;
}

/** The judgement of a change: ok when no finding is an error. */
export interface Verdict {
  ok: boolean;
  findings: Finding[];
}

/** Build an error finding; `where` holds the optional place fields. */
export function error(rule: RuleId, message: string, where: Omit<Finding, 'rule' | 'severity' | 'message'> = {}): Finding {
  return { rule, severity: 'error', message, ...where };
}

/** The verdict of a list of findings. */
export function verdict(findings: Finding[]): Verdict {
  return { ok: !findings.some((f) => f.severity === 'error'), findings };
}

/** One line of refusal text: rule id, path, message id or line, what was expected, and the commit. */
export function formatFinding(f: Finding): string {
  const place = [f.path, f.messageId ? `message ${f.messageId}` : undefined, f.line !== undefined ? `line ${f.line}` : undefined]
    .filter((x) => x !== undefined)
    .join(' ');
  const commit = f.commit ? ` (commit ${f.commit.slice(0, 12)})` : '';
  return `${f.rule}${place ? ' ' + place : ''}: ${f.message}${commit}`;
}
