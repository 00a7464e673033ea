// ccr/ledger-schema (SPEC 5): what the JSON Schema cannot say of a ledger: each participant once,
// with a display name a person can see. The schema itself is checked when the ledger is read;
// its problems get their id here too.

import { hasVisibleChar } from '../text.js';
import { defineRule } from './define.js';

/** Participants listed once each, with a visible display name, on any ledger. */
export const ledgerSchemaState = defineRule({
  id: 'ccr/ledger-schema',
  scope: 'ledger',
  check({ path, ledger: l }, _ctx, report) {
    const ids = new Set<string>();
    for (const p of l.participants) {
      if (ids.has(p.participant_id))
        report(`expected each participant once, found ${p.participant_id} again`, { path });
      if (!hasVisibleChar(p.display_name)) {
        report(
          `expected a display name with a visible character for ${p.participant_id}, found only blank or invisible ones`,
          { path },
        );
      }
      ids.add(p.participant_id);
    }
  },
});

/**
 * A thread whose ledger cannot be read was never judged sound: nothing about it can be judged now
 * (who governs it, whether it is open), so it takes no change, rather than one unjudged.
 */
export const ledgerSchemaUnjudged = defineRule({
  id: 'ccr/ledger-schema',
  scope: 'unjudged',
  check(u, _ctx, report) {
    if (u.what !== 'ledger') return;
    report(
      'expected the ledger before this commit to be readable, found one that is not (or none): the thread takes no change',
      { path: u.path },
    );
  },
});

/** A ledger.yaml that does not keep its JSON Schema, as the reader found it (core/ledger.ts). */
export const ledgerSchemaRead = defineRule({
  id: 'ccr/ledger-schema',
  scope: 'problem',
  check(p, _ctx, report) {
    if (p.file === 'ledger' && p.kind === 'schema') report(p.message, p);
  },
});
