// The one way CCR writes a commit (library and server alike): under the record's lock, read
// `main`, build the commit in memory, judge it with the same rules the server's hook runs, store
// its objects durably, then compare-and-swap `main`. If `main` moved (a push landed meanwhile),
// start again from the new head.

import { ConcurrentUpdate, RuleViolation, WorkingCopyConflict } from '../core/errors.js';
import { EvaluationCache, evaluateCommit } from '../core/evaluate.js';
import { errorsOf } from '../core/findings.js';
import type { Ident, Oid } from '../core/objects.js';
import type { RuleContext } from '../core/rules/context.js';
import { buildCommit, type CommitSigner } from './build.js';
import { withRecordLock } from './lock.js';
import { MAIN, compareAndSwapRef } from './refs.js';
import type { Repository } from './repository.js';
import { OverlaySource, writeObjects } from './store.js';
import { checkout, prepareWorktree } from './worktree.js';

/** What one operation writes: files by path, and the commit message. */
export interface Change<T> {
  files: Map<string, Uint8Array>;
  message: string;
  /** What the operation gives back to its caller (a thread id, a message id). */
  result: T;
}

/** Options of a write: who commits, the rule context, how often to retry a moved `main`. */
export interface WriteOptions {
  author: { name: string; email: string };
  context: RuleContext;
  /** The clock, in ms (commit time). */
  now?: () => number;
  attempts?: number;
  /** Parsed files carried between the writes of one record, so an append parses only itself. */
  cache?: EvaluationCache;
  /** Signs the commit (the server's site key, a user's key); unsigned without it. */
  signer?: CommitSigner;
}

/** The commit written and what the operation gave. */
export interface Written<T> {
  commit: Oid;
  parent: Oid | null;
  result: T;
}

/**
 * Write one commit. `prepare` computes the change from the current head (null for a new record)
 * and is called again if `main` moves; it may throw to refuse (thread closed, author invalid).
 */
export async function writeCommit<T>(
  repo: Repository,
  opts: WriteOptions,
  prepare: (head: Oid | null) => Promise<Change<T>>,
): Promise<Written<T>> {
  return withRecordLock(repo.gitdir, async () => {
    const attempts = opts.attempts ?? 5;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const head = await repo.head();
      await prepareWorktree(repo, head);
      const change = await prepare(head);
      const now = (opts.now ?? Date.now)();
      const ident: Ident = {
        name: opts.author.name,
        email: opts.author.email,
        timestamp: Math.floor(now / 1000),
        timezone: '+0000',
      };
      const built = await buildCommit(repo.source, {
        parent: head,
        files: change.files,
        message: change.message,
        author: ident,
        ...(opts.signer ? { signer: opts.signer } : {}),
        ...(head ? { parentTree: await repo.treeOf(head) } : {}),
      });
      const findings = await evaluateCommit(new OverlaySource(repo.source, built.objects), built.oid, {
        ...opts.context,
        allowRoot: head === null,
        ...(opts.cache ? { cache: opts.cache } : {}),
      });
      const errors = errorsOf(findings);
      if (errors.length > 0) throw new RuleViolation(errors);
      await writeObjects(repo.gitdir, built.objects);
      for (const [oid, o] of built.objects) repo.source.remember(oid, o);
      if (await compareAndSwapRef(repo.gitdir, MAIN, built.oid, head)) {
        await checkout(repo, head, built.oid).catch((e: unknown) => {
          // The change is in the record: say so, lest the caller write it again.
          if (!(e instanceof WorkingCopyConflict)) throw e;
          throw new WorkingCopyConflict(
            `the change was committed (${built.oid.slice(0, 12)}) but the files were not updated: ${e.message}`,
            e.data,
          );
        });
        return { commit: built.oid, parent: head, result: change.result };
      }
    }
    throw new ConcurrentUpdate(`main kept moving; gave up after ${attempts} attempts`);
  });
}
