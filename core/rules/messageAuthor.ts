// ccr/message-author (SPEC 8): the author is a participant of the thread, named as its ledger names them.

import { authorOf } from './authorOf.js';
import { defineRule } from './define.js';
import { messagePlace } from './messagePlace.js';

/** An author who is not a participant, or whose name is not the ledger's. */
export const messageAuthor = defineRule({
  id: 'ccr/message-author',
  scope: 'message',
  check(input, _ctx, report) {
    const m = input.message;
    const { author, of, patientSystem } = authorOf(input);
    if (!author)
      report(`expected the author ${m.authorId} to be a participant of ${of}`, messagePlace(input.thread.threadId, m));
    else if (!patientSystem && author.display_name !== m.author) {
      report(
        `expected the author name ${JSON.stringify(author.display_name)} from the ledger, found ${JSON.stringify(m.author)}`,
        messagePlace(input.thread.threadId, m),
      );
    }
  },
});

/** A message the service refused for its author, or an integration's API write naming no author. */
export const messageAuthorWrite = defineRule({
  id: 'ccr/message-author',
  scope: 'write',
  check(w, _ctx, report) {
    if (w.refused === 'author' && w.change === 'message') report(w.reason);
    if (w.refused === 'no-author-id')
      report('expected author_id: the participant of the thread an integration writes for');
  },
});
