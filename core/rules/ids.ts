// The stable id of every rule of SPEC section 8 and of each outcome of the judging pipeline, as
// printed in refusals: data only, imported by everything that names an id (the readers, the
// server, the CLI's --help) without loading any rule. core/rules/index.ts must list a rule file for
// each rule id here (the compiler checks it: a missing or extra file does not build), and the
// ids reported by readers and the pipeline, each with where and why.

/** Every id, by the key the rule index and the callers use. */
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
