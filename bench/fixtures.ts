// Set-up shared by the server benchmarks: a server in this process, records made through its API,
// clones with a chain of prepared one-message commits to push one at a time.

import type { CommitSigner } from '../git/build.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { CoordinationService } from '../index.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { formatTimestamp, newUuid, type MessageId, type ParticipantId, type Timestamp } from '../core/ids.js';
import { renderLedger } from '../core/ledger.js';
import { appendMessages, type Message } from '../core/messages/grammar.js';
import { LEDGER_FILE, MESSAGES_FILE, threadFilePath } from '../core/layout.js';
import { files } from '../service/record.js';
import { gitEnv } from '../git/run.js';
import { startServer, type RunningServer } from '../server/index.js';
import type { ServerOptions } from '../server/context.js';

export const TOKEN = 'ccr_bench-admin-token-0123456789abcdefghijklmnopqrstu';
export const author = { name: 'Bench', email: 'bench@ccr.invalid' };
export const place = 'Bench Hospital';
export const jane = {
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12',
  role: 'clinician' as const,
  display_name: 'Dr Jane Smith',
};
export const body =
  'Patient reviewed on the ward. Observations stable; continue current management and reassess in 48 hours.';
const run = promisify(execFile);

/** The git CLI with an isolated configuration, asynchronously (the server shares this process). */
export async function gitCli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await run('git', args, {
    cwd,
    env: gitEnv('/dev/null', {
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'b@ccr.invalid',
      GIT_COMMITTER_NAME: 'Bench',
      GIT_COMMITTER_EMAIL: 'b@ccr.invalid',
      ...env,
    }),
    maxBuffer: 1 << 26,
  });
  return r.stdout;
}

/** A quiet server on an ephemeral port. */
export async function benchServer(data: string, options: Partial<ServerOptions> = {}): Promise<RunningServer> {
  return startServer({ data, port: 0, adminToken: TOKEN, logStream: new PassThrough().resume(), ...options });
}

/** Create a record with one thread through the API; gives ids and an authenticated git URL. */
export async function apiRecord(
  server: Pick<RunningServer, 'url'>,
): Promise<{ id: string; thread: string; url: string }> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      `${server.url}/api/records`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
        },
      },
      (res) => {
        let b = '';
        res.on('data', (d: Buffer) => {
          b += d.toString();
        });
        res.on('end', () => (res.statusCode === 201 ? resolve(b) : reject(new Error(`${res.statusCode} ${b}`))));
      },
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        clinical_id: 'a4f91c6d-3b2e-4c5f-9d7a-1e8b6c0a9f12',
        care_location: place,
        thread: { participants: [jane] },
      }),
    );
  });
  const r = JSON.parse(text) as { coordination_id: string; thread_id: string };
  const url = new URL(`${server.url}/coordination/${r.coordination_id}.git`);
  url.username = 'admin';
  url.password = TOKEN;
  return { id: r.coordination_id, thread: r.thread_id, url: url.toString() };
}

/** Clone `url` into `dir` and add `count` messages as one commit each (signed with `signer`); gives the commit ids in order. */
export async function commitChain(
  url: string,
  dir: string,
  thread: string,
  count: number,
  signer?: CommitSigner,
): Promise<string[]> {
  await gitCli('/', ['clone', '-q', url, dir]);
  const svc = await CoordinationService.at(dir, undefined, undefined, signer);
  const shas: string[] = [];
  for (let i = 0; i < count; i++) {
    await svc.addMessage(author, place, thread, {
      author: { id: jane.participant_id, name: jane.display_name },
      body: `${body} (${i})`,
    });
    shas.push((await svc.record.repo.head())!);
  }
  return shas;
}

const words = [
  'patient',
  'reviewed',
  'stable',
  'observations',
  'plan',
  'continue',
  'medication',
  'dose',
  'ward',
  'reassess',
  'bloods',
  'pending',
  'chest',
  'clear',
  'pain',
  'mobilising',
  'discharge',
  'family',
  'informed',
  'morning',
];

/** Text that compresses about as clinical prose does (words from a small vocabulary, shuffled). */
export function prose(seed: number, length: number): string {
  let x = seed || 1;
  let out = '';
  while (out.length < length) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += `${words[x % words.length]}${x % 7 === 0 ? '.\n' : ' '}`;
  }
  return out.trim();
}

/** Write `count` messages (bodies by `bodyOf`) into a thread as one commit (through the rules): a long thread, fast. */
export async function appendMany(
  svc: CoordinationService,
  thread: string,
  count: number,
  bodyOf: (i: number) => string = (i) => `${body} (${i})`,
): Promise<void> {
  const start = Date.now() + 5; // after the thread was created, within the 5 minutes the rules allow
  const messages: Message[] = Array.from({ length: count }, (_, i) => ({
    id: newUuid() as MessageId,
    type: 'clinician',
    timestamp: formatTimestamp(start + i) as Timestamp,
    authorId: jane.participant_id as ParticipantId,
    author: jane.display_name,
    body: bodyOf(i),
  }));
  await svc.record.write(author, async (head) => {
    const ledger = await svc.record.ledger(head!, thread);
    return {
      files: files({
        [threadFilePath(thread, MESSAGES_FILE)]: appendMessages(await svc.record.messagesText(head!, thread), messages),
        [threadFilePath(thread, LEDGER_FILE)]: renderLedger({
          ...ledger,
          last_updated_at: messages[messages.length - 1]!.timestamp,
        }),
      }),
      message: renderCommitMessage(subjects.addMessage, place),
      result: null,
    };
  });
}

/** Clone `url`, write `count` messages into a thread at once, and push it. */
export async function fillThread(url: string, dir: string, thread: string, count: number): Promise<void> {
  await gitCli('/', ['clone', '-q', url, dir]);
  await appendMany(await CoordinationService.at(dir), thread, count);
  await gitCli(dir, ['push', '-q', 'origin', 'main']);
}

/** "No hook": the git environment of `server` with a configuration whose hooks folder is empty (pushes not judged). */
export async function noHookEnv(server: RunningServer, dir: string): Promise<NodeJS.ProcessEnv> {
  mkdirSync(`${dir}/no-hooks`, { recursive: true });
  const { renderGitConfig } = await import('../git/config.js');
  writeFileSync(
    `${dir}/gitconfig-no-hooks`,
    renderGitConfig({ hooksPath: `${dir}/no-hooks`, maxInputBytes: server.context.options.maxPushBytes }),
  );
  return gitEnv(`${dir}/gitconfig-no-hooks`);
}

/**
 * Threads that grow as a record's do, for histories made with `git fast-import` (benchmarks and
 * tests of storage): message i goes to thread `i % count` (communications/t<k>/messages.md).
 */
export function growingThreads(count = 1) {
  const texts = Array.from({ length: count }, () => '');
  /** Append message `i`; gives its thread's path and whole text. */
  const append = (i: number, body: string) => {
    const k = i % count;
    texts[k] += `## Message ${i}\n\n${body}\n\n`;
    return { path: `communications/t${k}/messages.md`, text: texts[k]! };
  };
  /** A fast-import stream of messages 1..n on main, one commit each. */
  const history = (n: number, body: (i: number) => string) => {
    let stream = '';
    for (let i = 1; i <= n; i++) {
      const { path, text } = append(i, body(i));
      stream += `commit refs/heads/main\ncommitter Bench <bench@ccr.invalid> ${1_700_000_000 + i} +0000\ndata 2\nm\n`;
      stream += `M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
    }
    return stream;
  };
  return { append, history };
}
