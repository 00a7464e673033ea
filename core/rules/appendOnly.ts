// Append-only (SPEC 8): the old messages.md is a byte prefix of the new one. When it is not, say
// which earlier message was changed, deleted or moved, and at which byte.

import { error, ruleIds, type Finding } from '../findings.js';
import { parseMessages } from '../messages/grammar.js';

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

/** Findings when the new file does not start with the old one; none when it does. */
export function appendOnly(oldBytes: Uint8Array, newBytes: Uint8Array, path: string): Finding[] {
  if (isBytePrefix(oldBytes, newBytes)) return [];
  const at = firstDifference(oldBytes, newBytes);
  const decoder = new TextDecoder();
  const oldText = decoder.decode(oldBytes);
  const charAt = decoder.decode(oldBytes.subarray(0, at)).length;
  const earlier = parseMessages(oldText).messages;
  const hit = [...earlier].reverse().find((m) => m.sepStart <= charAt);
  const truncated = at === newBytes.length;
  if (!hit) return [error(ruleIds.appendOnly, `expected the earlier file unchanged, found the \`# Messages\` header changed (byte ${at})`, { path, line: 1 })];
  const what = truncated ? 'deleted or truncated' : 'changed';
  return [error(ruleIds.appendOnly, `expected earlier messages unchanged, found message ${hit.id} ${what} (byte ${at}); corrections are new messages`, { path, messageId: hit.id, line: hit.line })];
}
