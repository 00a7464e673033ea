// Generating long, valid record histories fast for the benchmarks: one `git fast-import` stream
// that creates the record, its threads and then one commit per message, exactly as the service
// would have written them (same files, same commit messages).

import { spawn } from 'node:child_process';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import {
  formatThreadId,
  formatTimestamp,
  newUuid,
  type MessageId,
  type ParticipantId,
  type RecordId,
  type Timestamp,
  type Uuid,
} from '../core/ids.js';
import { defaultPolicies, defaultVisibility, renderLedger, type Ledger } from '../core/ledger.js';
import { HEADER, appendMessages, type Message } from '../core/messages/grammar.js';
import { initialStatus, renderStatus } from '../core/status.js';
import { gitEnv } from '../git/run.js';

const author = {
  participant_id: '4f8c2a1d-9e3b-4a7c-8f1e-6b0d2c5a9f12' as ParticipantId,
  role: 'clinician' as const,
  display_name: 'Dr Jane Smith',
};
const BODY = 'Patient reviewed on the ward. Observations stable; continue current management and reassess in 48 hours.';

/** Write into bare repository `gitdir` a record with `threads` threads and `commits` commits in all. */
export async function generateHistory(
  gitdir: string,
  opts: { recordId: RecordId; threads: number; commits: number; start?: number },
): Promise<void> {
  const start = opts.start ?? Date.UTC(2025, 0, 1);
  const child = spawn('git', ['--git-dir', gitdir, 'fast-import', '--quiet', '--done'], {
    env: gitEnv(),
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const finished = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`))));
  });
  // Streamed with back-pressure: a long single-thread history is gigabytes of stream.
  let out: Buffer[] = [];
  const flush = async () => {
    if (!child.stdin.write(Buffer.concat(out))) await new Promise((r) => child.stdin.once('drain', r));
    out = [];
  };
  const place = renderCommitMessage(subjects.addMessage, 'Bench Hospital');
  let time = start;
  let mark = 0;
  const commit = (message: string, files: Record<string, string>) => {
    mark++;
    const ident = `Bench <bench@ccr.invalid> ${Math.floor(time / 1000)} +0000`;
    const head = `commit refs/heads/main\nmark :${mark}\nauthor ${ident}\ncommitter ${ident}\ndata ${Buffer.byteLength(message)}\n${message}\n${mark > 1 ? `from :${mark - 1}\n` : ''}`;
    out.push(Buffer.from(head));
    for (const [path, content] of Object.entries(files))
      out.push(Buffer.from(`M 100644 inline ${path}\ndata ${Buffer.byteLength(content)}\n${content}\n`));
    out.push(Buffer.from('\n'));
  };
  commit(renderCommitMessage(subjects.createRecord, 'Bench Hospital'), {
    'COORDINATION_STATUS.yaml': renderStatus(initialStatus(opts.recordId, newUuid() as Uuid)),
  });
  const threads: Array<{ id: string; ledger: Ledger; file: string }> = [];
  for (let i = 0; i < opts.threads; i++) {
    time += 1000;
    const id = formatThreadId(time, newUuid());
    const ledger: Ledger = {
      thread_id: id,
      status: 'open',
      created_at: formatTimestamp(time),
      last_updated_at: formatTimestamp(time),
      participants: [author],
      visibility: defaultVisibility,
      policies: defaultPolicies,
    };
    threads.push({ id, ledger, file: HEADER });
    commit(renderCommitMessage(subjects.createThread, 'Bench Hospital'), {
      [`communications/${id}/ledger.yaml`]: renderLedger(ledger),
      [`communications/${id}/messages.md`]: HEADER,
    });
  }
  for (let i = 0; i < opts.commits - 1 - opts.threads; i++) {
    time += 1000;
    const t = threads[i % threads.length]!;
    const m: Message = {
      id: newUuid() as MessageId,
      type: 'clinician',
      timestamp: formatTimestamp(time) as Timestamp,
      authorId: author.participant_id,
      author: author.display_name,
      body: `${BODY} (${i})`,
    };
    t.file = appendMessages(t.file, [m]);
    t.ledger = { ...t.ledger, last_updated_at: m.timestamp };
    commit(place, {
      [`communications/${t.id}/messages.md`]: t.file,
      [`communications/${t.id}/ledger.yaml`]: renderLedger(t.ledger),
    });
    if (out.length > 64) await flush();
  }
  out.push(Buffer.from('done\n'));
  await flush();
  child.stdin.end();
  await finished;
}
