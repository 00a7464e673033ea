// What each kind of principal may do (SPEC 9), as one table. Every check of a principal's kind
// reads a row of it: adding a kind fails to compile until its row exists, and no `=== 'auditor'`
// elsewhere can silently misclassify a new one.

import type { PrincipalKind } from './principal.js';

/** The rights of one principal kind. */
export interface Rights {
  /** Which records it reads: every one, or those it takes part in (through its view, SPEC 12). */
  read: 'all' | 'as-participant';
  /** Whether it writes to records at all (push, API write); where is `read`'s answer. */
  write: boolean;
  /** Whether it authors messages for others: an integration names the participant it writes for. */
  postForOthers: boolean;
  /** Whether it writes messages at all (admin and site principals write none through the API). */
  postMessages: boolean;
  /** Whether it changes `COORDINATION_STATUS.yaml` after a record's first commit. */
  changeStatus: boolean;
  /** Whether it chooses the id of a record it creates. */
  chooseRecordId: boolean;
  /** Whether it creates records. */
  createRecords: boolean;
  /** Which records it lists: every one, or those it takes part in. */
  listRecords: 'all' | 'own' | 'none';
  /** Whether it manages principals, and the tokens, keys and webhooks of others. */
  managePrincipals: boolean;
  /** Whether it reads the server's metrics. */
  metrics: boolean;
  /** Whether its pushes may hold the deterministic sync merge (SPEC 10). */
  merge: boolean;
  /**
   * Whether its ledgers are judged against this server's bindings of participant ids (a peer site
   * judged its own writes with its own principals).
   */
  boundEntries: boolean;
  /**
   * Whether it registers webhooks, and so keeps owning them (a hook delivers every record's events:
   * only kinds that read every record). Managing another's hook is `managePrincipals`.
   */
  manageWebhooks: boolean;
}

/** The rights of every principal kind. */
export const rights: Record<PrincipalKind, Rights> = {
  admin: {
    read: 'all',
    write: true,
    postForOthers: false,
    postMessages: false,
    changeStatus: true,
    chooseRecordId: true,
    createRecords: true,
    listRecords: 'all',
    managePrincipals: true,
    metrics: true,
    merge: false,
    boundEntries: true,
    manageWebhooks: true,
  },
  auditor: {
    read: 'all',
    write: false,
    postForOthers: false,
    postMessages: false,
    changeStatus: false,
    chooseRecordId: false,
    createRecords: false,
    listRecords: 'all',
    managePrincipals: false,
    metrics: true,
    merge: false,
    boundEntries: true,
    manageWebhooks: false,
  },
  site: {
    read: 'all',
    write: true,
    postForOthers: false,
    postMessages: false,
    changeStatus: true,
    chooseRecordId: true,
    createRecords: true,
    listRecords: 'all',
    managePrincipals: false,
    metrics: false,
    merge: true,
    boundEntries: false,
    manageWebhooks: false,
  },
  integration: {
    read: 'all',
    write: true,
    postForOthers: true,
    postMessages: true,
    changeStatus: false,
    chooseRecordId: false,
    createRecords: true,
    listRecords: 'none',
    managePrincipals: false,
    metrics: false,
    merge: false,
    boundEntries: true,
    manageWebhooks: true,
  },
  participant: {
    read: 'as-participant',
    write: true,
    postForOthers: false,
    postMessages: true,
    changeStatus: false,
    chooseRecordId: false,
    createRecords: true,
    listRecords: 'own',
    managePrincipals: false,
    metrics: false,
    merge: false,
    boundEntries: true,
    manageWebhooks: false,
  },
};

/** The rights of a principal. */
export function rightsOf(p: { kind: PrincipalKind }): Rights {
  return rights[p.kind];
}
