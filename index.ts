// The package's public API.

export { CoordinationService, UninitialisedCoordinationService } from './service/CoordinationService.js';
export type { MessageContent, MessageAuthor } from './service/content.js';
export type { LedgerUpdate } from './service/updateThreadLedger.js';
export type { CoordinationStatusUpdate } from './service/updateCoordinationStatus.js';
export type { Thread, ThreadSummary } from './service/readThread.js';
export type { CommitAuthor, ServiceConfig } from './service/record.js';
export * from './core/errors.js';
export { ruleIds, formatFinding, type Finding, type Verdict, type RuleId } from './core/findings.js';
export * from './core/ids.js';
export type { Ledger, Participant, Visibility, Policies } from './core/ledger.js';
export type { CoordinationStatus } from './core/status.js';
export type { Message } from './core/messages/grammar.js';
export { renderBody } from './core/messages/body.js';
export type { Principal } from './core/principal.js';
