// The principals.json of a data folder from before the database, moved into it on first start
// with nothing lost: keyed token hashes carried over as they are, scrypt hashes kept until their
// first successful use (server/identity/tokens.ts rehashes them), participant bindings and
// creation times. One transaction imports every principal the database does not hold yet, by
// name, so a run killed anywhere is finished by the next, and a second run imports nothing.
// Then the file is renamed (kept for a rollback), never deleted.

import type { ValidateFunction } from 'ajv';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { CannotStart } from '../../core/errors.js';
import * as generated from '../../core/generated/principalsJsonValidator.js';
import { describeSchemaErrors } from '../../core/schemaErrors.js';
import { syncDir } from '../../git/fsutil.js';
import type { Actor } from '../identity.js';
import type { StoredPrincipal } from '../principals.js';
import type { ImportedPrincipal, SqliteIdentityStore } from './identityStore.js';

/** An entry of principals.json (version 1), as the server wrote it. */
type JsonPrincipal = StoredPrincipal;

/** Validates principals.json (schemas/principals-json.schema.json, compiled ahead of time; the first error only). */
const validate = generated.validatePrincipalsJson as ValidateFunction<{ principals: JsonPrincipal[] }>;

/** What a migration did. */
export interface MigrationOutcome {
  /** Principals imported by this run (0 when an earlier run had imported them). */
  imported: number;
  /** Where principals.json was moved to, or null when there was none. */
  keptAs: string | null;
}

function imported(p: JsonPrincipal): ImportedPrincipal {
  const principal =
    p.kind === 'participant'
      ? { name: p.name, kind: p.kind, participant_id: p.participant_id!, role: p.role!, display_name: p.display_name! }
      : { name: p.name, kind: p.kind };
  const token = p.token_hash
    ? { hash: p.token_hash, label: 'migrated' }
    : p.salt && p.hash
      ? { legacySalt: p.salt, legacyHash: p.hash, label: 'migrated' }
      : undefined;
  return { principal, created_at: p.created_at, ...(token ? { token } : {}) };
}

/**
 * Move `<data>/principals.json` into the store, when there is one. A file that cannot be read or
 * holds an entry of another shape stops the start (CannotStart): nothing is guessed or dropped.
 */
export async function migratePrincipalsJson(
  path: string,
  store: SqliteIdentityStore,
  by: Actor,
): Promise<MigrationOutcome> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { imported: 0, keptAs: null };
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CannotStart(
      `${path} is not JSON (${(e as Error).message}); its principals cannot be moved into the database`,
      { hint: `restore ${path} from a backup, then start again` },
    );
  }
  if (!validate(parsed)) {
    throw new CannotStart(
      `${path} cannot be moved into the database: ${describeSchemaErrors(validate.errors).join('; ')}`,
      { hint: `correct or restore ${path}, then start again` },
    );
  }
  const count = store.importMissing(parsed.principals.map(imported), by);
  const keptAs = await keep(path);
  return { imported: count, keptAs };
}

/**
 * Rename the file beside itself (`.migrated`, or with the time when that name is taken), durably.
 * A `.migrated` that is the file itself (a start killed between the link and the unlink made it)
 * is that start's copy: only the old name goes.
 */
async function keep(path: string): Promise<string | null> {
  let target = `${path}.migrated`;
  try {
    await fs.link(path, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null; // another process moved it first
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (!(await sameFile(path, target))) {
      target = `${path}.migrated-${new Date().toISOString().replace(/[-:.]/g, '')}`;
      await fs.link(path, target);
    }
  }
  await fs.unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await syncDir(dirname(path));
  return target;
}

/** True when both names are links to one file (false when either is gone). */
async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([fs.stat(a), fs.stat(b)]);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
