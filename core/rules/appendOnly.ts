// ccr/append-only (SPEC 8): nothing written is removed. The old messages.md is a byte prefix of
// the new one (when it is not, say which earlier message was changed, deleted or moved, and at
// which byte), what is appended is whole messages, and no file or thread folder is deleted.
// Every finding of this id is made in this file.

import { error, type Finding, type Place } from '../findings.js';
import { STATUS_FILE } from '../layout.js';
import { parseMessages } from '../messages/grammar.js';
import { defineRule } from './define.js';

/** The status file, a thread folder or a thread's file, deleted (or renamed, which deletes it). */
export const appendOnlyDeleted = defineRule({
  id: 'ccr/append-only',
  scope: 'deleted',
  check(d, _ctx, report) {
    if (d.what === 'status') report(`expected \`${STATUS_FILE}\` never to be deleted`, { path: d.path });
    else if (d.what === 'thread') report('expected thread folders never to be deleted or renamed', { path: d.path });
    else report(`expected \`${d.name}\` never to be deleted or renamed`, { path: d.path });
  },
});

/** The finding of an append that does not start with whole messages (`start`: the separator and head expected). */
export function appendedNotWhole(start: string, where: Place): Finding {
  return error(
    appendOnlyDeleted.id,
    `expected what is appended to be whole messages starting with ${JSON.stringify(start)}`,
    where,
  );
}

/** Offset of the first byte where the two differ, or the shorter length when one is a prefix. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** True when `prefix` is a byte prefix of `whole`. */
export function isBytePrefix(prefix: Uint8Array, whole: Uint8Array): boolean {
  return prefix.length <= whole.length && Buffer.compare(prefix, whole.subarray(0, prefix.length)) === 0;
}

/** A messages.md that does not start with the old file: which earlier message changed, at which byte. */
export const appendOnlyRewritten = defineRule({
  id: 'ccr/append-only',
  scope: 'rewritten',
  check({ oldBytes, newBytes, path }, _ctx, report) {
    if (isBytePrefix(oldBytes, newBytes)) return;
    const at = firstDifference(oldBytes, newBytes);
    const decoder = new TextDecoder();
    const oldText = decoder.decode(oldBytes);
    const charAt = decoder.decode(oldBytes.subarray(0, at)).length;
    const earlier = parseMessages(oldText).messages;
    const hit = [...earlier].reverse().find((m) => m.sepStart <= charAt);
    const truncated = at === newBytes.length;
    if (!hit) {
      report(`expected the earlier file unchanged, found the \`# Messages\` header changed (byte ${at})`, {
        path,
        line: 1,
      });
      return;
    }
    const what = truncated ? 'deleted or truncated' : 'changed';
    report(
      `expected earlier messages unchanged, found message ${hit.id} ${what} (byte ${at}); corrections are new messages`,
      { path, messageId: hit.id, line: hit.line },
    );
  },
});
