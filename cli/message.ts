// `ccr message add|correct`: a message, or a correction of one of your own, as one commit.

import { out, UsageError, type Command } from './args.js';
import { openWorkingCopy, readBody } from './workingCopy.js';

export const message: Command = {
  help: `ccr message add <thread-id> [--message TEXT | --file F | - | --edit] [--push]
ccr message correct <thread-id> <message-id> [--message TEXT | --file F | - | --edit] [--push]

Messages are never edited or deleted; a correction is a new message that points at one of your
own earlier messages. Without --message or --file the text is read from stdin, or from $EDITOR.
--push sends the commit at once, as ccr push does (one command instead of two); when the server
refuses it or main moved on, the commit stays in your working copy and ccr says what to do.

Example:
  ccr message add 20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000 -m "Reviewed; no acute changes." --push
  ccr message correct 20260111T143522.045Z-550e8400-e29b-41d4-a716-446655440000 3f7a8d2c-1e9b-4a6d-9f2e-5c8b7a4d1f92 -m "The X-ray is from 10 January."`,
  options: {
    message: { type: 'string', short: 'm' },
    file: { type: 'string' },
    edit: { type: 'boolean' },
    push: { type: 'boolean' },
    'care-location': { type: 'string' },
  },
  async run(v, [action, threadId, corrects]) {
    if (action !== 'add' && action !== 'correct')
      throw new UsageError('use: ccr message add <thread-id> | correct <thread-id> <message-id>');
    if (!threadId) throw new UsageError(`ccr message ${action} needs a thread id`);
    if (action === 'correct' && !corrects)
      throw new UsageError('ccr message correct needs the id of the message it corrects');
    const json = v['json'] === true;
    const { svc, me, gitdir } = await openWorkingCopy(v['care-location'] as string | undefined);
    const body = readBody(v);
    const id = await svc.addMessage(me.author, me.careLocation, threadId, {
      author: { id: me.participant.id, name: me.participant.name },
      body,
      ...(corrects ? { corrects } : {}),
    });
    const added = { message_id: id, thread_id: threadId, commit: await svc.record.repo.head() };
    const said = `${corrects ? `corrected ${corrects} with` : 'added'} message ${id} to thread ${threadId}`;
    if (v['push'] !== true) {
      out(json, added, `${said} (one commit; push it with ccr push)`);
      return 0;
    }
    // The same push as ccr push (the remotes were checked for tokens when the working copy was opened).
    const { pushWorkingCopy, sayPushed } = await import('./remote.js');
    if (!json) process.stdout.write(`${said}\n`);
    let pushed;
    try {
      pushed = await pushWorkingCopy(gitdir, json);
    } catch (e) {
      // The push could not run (git missing, say): the message is committed all the same; say so first.
      if (json) {
        out(true, { ...added, push: { error: { message: (e as Error).message } } }, '');
        return 1;
      }
      process.stderr.write(`ccr: message ${id} is committed in your working copy; it was not pushed\n`);
      throw e;
    }
    const code = sayPushed(pushed, json, added);
    if (code !== 0 && !json)
      process.stderr.write(
        pushed.value['outcome'] === 'unknown' && pushed.value['settled'] !== 'missing'
          ? `ccr: message ${id} is committed in your working copy; whether the server has it is not known yet (ccr push again is safe: nothing is written twice)\n`
          : `ccr: message ${id} is committed in your working copy, not on the server\n`,
      );
    return code;
  },
};
