// The rule index (issue 12): every rule file, by its key in `ruleIds` (core/rules/ids.ts), and the order
// in which the rules judge. The compiler holds the two together: a rule id without its file here, or
// a file whose rules carry another id, does not build. Adding a rule: its id in core/rules/ids.ts,
// core/rules/<key>.ts with `defineRule`, a line in `ruleFiles` and in the phase (`refRules`,
// `commitPhases`, …) of its scope, a corpus case (test/corpus/cases.ts) and a row in docs/spec.md
// section 8. (The id list is a leaf of its own so that naming an id — a reader, the server, `ccr
// --help` — loads no rule, and no module of core/ imports itself through the rules.)

import type { Rule } from './define.js';
import { ruleIds, type RuleId } from './ids.js';
import { commitParents, commitParentsHistory, commitParentsView } from './commitParents.js';
import { viewExact } from './viewExact.js';
import { viewPath } from './viewPath.js';
import { merge } from './merge.js';
import { appendOnlyDeleted, appendOnlyRewritten } from './appendOnly.js';
import { treeLayoutEmpty, treeLayoutEntry, treeLayoutMissing, treeLayoutRead } from './treeLayout.js';
import { treeModeEntry, treeModeRead } from './treeMode.js';
import { commitAction } from './commitAction.js';
import { commitFormat } from './commitFormat.js';
import { commitTime } from './commitTime.js';
import { ledgerFrozen } from './ledgerFrozen.js';
import { ledgerIdentityChanged, ledgerIdentityState } from './ledgerIdentity.js';
import {
  ledgerLastUpdatedBack,
  ledgerLastUpdatedClock,
  ledgerLastUpdatedMessage,
  ledgerLastUpdatedState,
} from './ledgerLastUpdated.js';
import { ledgerSchemaRead, ledgerSchemaState, ledgerSchemaUnjudged } from './ledgerSchema.js';
import { statusSchemaRead, statusSchemaUnjudged } from './statusSchema.js';
import { ledgerSystemMessage } from './ledgerSystemMessage.js';
import { ledgerTransitionMove, ledgerTransitionNew } from './ledgerTransition.js';
import { messageAuthor, messageAuthorWrite } from './messageAuthor.js';
import { messageCorrection, messageCorrectionWrite } from './messageCorrection.js';
import { messageId } from './messageId.js';
import { messageTimestampClock, messageTimestampCreated } from './messageTimestamp.js';
import { messageType } from './messageType.js';
import { objectFormatRead, objectFormatWalk } from './objectFormat.js';
import { patientParticipation } from './patientParticipation.js';
import { recordClosed } from './recordClosed.js';
import { recordFrozen } from './recordFrozen.js';
import { refCreate } from './refCreate.js';
import { refDelete } from './refDelete.js';
import { refFastForward, refFastForwardOvertaken } from './refFastForward.js';
import { refNameFullIds, refNameHistory, refNameOnlyMain } from './refName.js';
import { statusIdentity, statusIdentityHistory } from './statusIdentity.js';
import { threadNotOpen, threadNotOpenWrite } from './threadNotOpen.js';
import { whoAuthor } from './whoAuthor.js';
import { whoParticipant } from './whoParticipant.js';
import { whoStatus } from './whoStatus.js';
import { whoThread, whoThreadWrite } from './whoThread.js';
import { whoWrite, whoWritePush, whoWriteRefused } from './whoWrite.js';
import { blobSize } from './blobSize.js';
import { ledgerFormat } from './ledgerFormat.js';
import { messageAmbiguous } from './messageAmbiguous.js';
import { messageChars } from './messageChars.js';
import { messageFormat } from './messageFormat.js';
import { messageLimits } from './messageLimits.js';
import { statusFormat } from './statusFormat.js';
import { readerRules } from './readerRules.js';
import { commitSignature } from './commitSignature.js';
import { writeRules } from './writeRules.js';
import { historyRules } from './historyRules.js';

/** Every rule file (core/rules/<key>.ts) with the rules it declares, all under the file's one id. */
export const ruleFiles = {
  treeLayout: [treeLayoutEmpty, treeLayoutEntry, treeLayoutMissing, treeLayoutRead],
  treeMode: [treeModeEntry, treeModeRead],
  blobSize: [blobSize],
  appendOnly: [appendOnlyDeleted, appendOnlyRewritten],
  refName: [refNameOnlyMain, refNameFullIds, refNameHistory],
  refDelete: [refDelete],
  refCreate: [refCreate],
  refFastForward: [refFastForward, refFastForwardOvertaken],
  objectFormat: [objectFormatWalk, objectFormatRead],
  threadNotOpen: [threadNotOpen, threadNotOpenWrite],
  patientParticipation: [patientParticipation],
  messageFormat: [messageFormat],
  messageChars: [messageChars],
  messageAmbiguous: [messageAmbiguous],
  messageLimits: [messageLimits],
  messageId: [messageId],
  messageTimestamp: [messageTimestampCreated, messageTimestampClock],
  messageAuthor: [messageAuthor, messageAuthorWrite],
  messageType: [messageType],
  messageCorrection: [messageCorrection, messageCorrectionWrite],
  ledgerFormat: [ledgerFormat],
  ledgerSchema: [ledgerSchemaState, ledgerSchemaUnjudged, ledgerSchemaRead],
  statusFormat: [statusFormat],
  statusSchema: [statusSchemaUnjudged, statusSchemaRead],
  ledgerIdentity: [ledgerIdentityState, ledgerIdentityChanged],
  ledgerLastUpdated: [ledgerLastUpdatedState, ledgerLastUpdatedClock, ledgerLastUpdatedBack, ledgerLastUpdatedMessage],
  ledgerTransition: [ledgerTransitionNew, ledgerTransitionMove],
  ledgerFrozen: [ledgerFrozen],
  ledgerSystemMessage: [ledgerSystemMessage],
  statusIdentity: [statusIdentity, statusIdentityHistory],
  recordFrozen: [recordFrozen],
  recordClosed: [recordClosed],
  commitFormat: [commitFormat],
  commitAction: [commitAction],
  commitTime: [commitTime],
  commitSignature: [commitSignature],
  commitParents: [commitParents, commitParentsView, commitParentsHistory],
  viewPath: [viewPath],
  viewExact: [viewExact],
  merge: [merge],
  whoAuthor: [whoAuthor],
  whoThread: [whoThread, whoThreadWrite],
  whoStatus: [whoStatus],
  whoWrite: [whoWritePush, whoWrite, whoWriteRefused],
  whoParticipant: [whoParticipant],
} as const;

/** Ids that name no rule but an outcome of the pipeline that judges, each with why. */
export const pipelineIds = {
  parseBudget: {
    id: 'ccr/parse-budget',
    why: 'the judging ran out of time or the record stayed busy: nothing was judged wrong',
  },
  quota: { id: 'ccr/quota', why: 'the pusher passed a quota of the server, whatever the push holds' },
  internal: { id: 'ccr/internal', why: 'the server failed; the pusher sees only a request id, the operator the log' },
} as const;

/**
 * The rules of a commit's signature, judged per pushed commit by the server (server/validator.ts),
 * per fetched commit by sync, and on API writes under the signing policy (server/signedPolicy.ts).
 */
export const signatureRules = [commitSignature] as const;

/**
 * The rules of writes refused before any commit exists (server/serverWrite.ts, server/gitRoute.ts):
 * one finding each, from the rule whose refusal it is (core/rules/writeRules.ts).
 */
export { writeRules };

/** The rules of a whole history, before its commits are judged (core/verify.ts; core/rules/historyRules.ts). */
export { historyRules };

/** The rules of a push's principal, judged before any ref is read (an auditor pushes nothing). */
export const pushRules = [whoWritePush] as const;

/** The rules of a commit's shape, judged before its contents, and of a merge that is not the sync merge. */
export const shapeRules = [commitParents, merge] as const;

/** The rules of one ref update, in order; the first finding refuses the update. */
export const refRules = [refNameOnlyMain, refDelete, refCreate, refNameFullIds] as const;

/** The rules of how the walk over an update's commits (or a view push's line) ended. */
export const walkRules = [refFastForward, objectFormatWalk, commitParentsView] as const;

/**
 * The rules of what reading a commit meets, in read order: each folder of the new tree (folder
 * rules, with the entry rules per entry between them), each deletion, each rewritten messages.md,
 * each file before the commit that cannot be read, each problem a format reader found (one rule
 * each, core/rules/readerRules.ts).
 */
export const readRules = [
  treeLayoutEmpty,
  treeLayoutEntry,
  treeModeEntry,
  treeLayoutMissing,
  appendOnlyDeleted,
  appendOnlyRewritten,
  ledgerSchemaUnjudged,
  statusSchemaUnjudged,
  ...readerRules,
] as const;

/** The rules of a view push's translation (SPEC 12). */
export const viewRules = [viewPath, viewExact] as const;

/** A group of rules run over one commit's changes: once, or per thread touched (ledger and message rules inside it per ledger and per appended message). */
export interface Phase {
  per: 'commit' | 'thread';
  rules: readonly Rule[];
}

/**
 * The rules of a commit, in the order their findings are listed (the remote: lines a pusher reads
 * follow it): the commit itself and the record's status, then each thread's ledger and messages,
 * then who pushed it, then the bound participant entries.
 */
export const commitPhases: readonly Phase[] = [
  { per: 'commit', rules: [commitFormat, commitAction, commitTime, statusIdentity, recordFrozen, recordClosed] },
  {
    per: 'thread',
    rules: [
      ledgerIdentityState,
      ledgerLastUpdatedState,
      ledgerSchemaState,
      ledgerLastUpdatedClock,
      ledgerTransitionNew,
      ledgerLastUpdatedBack,
      ledgerIdentityChanged,
      ledgerTransitionMove,
      ledgerFrozen,
      ledgerSystemMessage,
      threadNotOpen,
      messageId,
      messageTimestampCreated,
      ledgerLastUpdatedMessage,
      messageTimestampClock,
      messageAuthor,
      messageType,
      patientParticipation,
      messageCorrection,
    ],
  },
  { per: 'commit', rules: [whoWrite, whoStatus] },
  { per: 'thread', rules: [whoAuthor, whoThread] },
  { per: 'thread', rules: [whoParticipant] },
];

/** The rules a ledger keeps on its own (also judged on every ledger a sync merge computes). */
export const ledgerStateRules = [ledgerIdentityState, ledgerLastUpdatedState, ledgerSchemaState] as const;

/** The keys of the ids that name a rule file (not the pipeline's). */
type RuleFileKey = Exclude<keyof typeof ruleIds, keyof typeof pipelineIds>;

/** Each rule file's rules carry the id of its key; every rule id has its file (checked when built). */
export const ruleFileIndex: { readonly [K in RuleFileKey]: readonly Rule<(typeof ruleIds)[K]>[] } = ruleFiles;

export { ruleIds, type RuleId };
