// `ccr message add|correct`: a message, or a correction of one of your own, as one commit.

import { out, UsageError, type Command } from './args.js';
import { openWorkingCopy, readBody } from './workingCopy.js';

export const message: Command = {
  help: `ccr message add <thread-id> [--message TEXT | --file F | - | --edit]
ccr message correct <thread-id> <message-id> [--message TEXT | --file F | - | --edit]

Messages are never edited or deleted; a correction is a new message that points at one of your
own earlier messages. Without --message or --file the text is read from stdin, or from $EDITOR.

Example:
  ccr message add 20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000 -m "Reviewed; no acute changes."
  ccr message correct 20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000 3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92 -m "The X-ray is from 10 January."`,
  options: {
    message: { type: 'string', short: 'm' },
    file: { type: 'string' },
    edit: { type: 'boolean' },
    'care-location': { type: 'string' },
  },
  async run(v, [action, threadId, corrects]) {
    if (action !== 'add' && action !== 'correct')
      throw new UsageError('use: ccr message add <thread-id> | correct <thread-id> <message-id>');
    if (!threadId) throw new UsageError(`ccr message ${action} needs a thread id`);
    if (action === 'correct' && !corrects)
      throw new UsageError('ccr message correct needs the id of the message it corrects');
    const { svc, me } = await openWorkingCopy(v['care-location'] as string | undefined);
    const body = readBody(v);
    const id = await svc.addMessage(me.author, me.careLocation, threadId, {
      author: { id: me.participant.id, name: me.participant.name },
      body,
      ...(corrects ? { corrects } : {}),
    });
    out(
      v['json'] === true,
      { message_id: id, thread_id: threadId, commit: await svc.record.repo.head() },
      `${corrects ? `corrected ${corrects} with` : 'added'} message ${id} to thread ${threadId} (one commit; push it with ccr push)`,
    );
    return 0;
  },
};
