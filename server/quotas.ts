// Per-principal limits on what one principal may add per period (issue 19): records created,
// threads created (through the API or a push), and bytes stored (request bodies of creations, the
// objects a push brings). Defaults bind participants and integrations; `<data>/quotas.json`
// changes them per principal kind or per principal name. Counts live in memory, in a fixed window
// per principal that starts with its first write of the period (a restart starts them afresh).

import { promises as fs, readdirSync, statSync } from 'node:fs';
import { InvalidInput, QuotaExceeded } from '../core/errors.js';
import { isOid, isTreeEntry, parseTree, type Oid } from '../core/objects.js';
import type { Principal, PrincipalKind } from '../core/principal.js';
import { refusals, sentence, type Refusal } from '../core/refusal.js';
import { describeSchemaErrors } from '../core/schemaErrors.js';
import { COMMUNICATIONS } from '../core/layout.js';
import { readCommit, type ObjectSource } from '../core/source.js';
import { PushSource } from '../git/pushSource.js';
import { MAIN } from '../git/refs.js';
import { IsoGitSource } from '../git/store.js';
import type { HookCall } from './hookEndpoint.js';
import { quotasSchema, validateQuotas, type QuotaLimits } from './quotasSchema.js';

export type { QuotaLimits } from './quotasSchema.js';

/** The quota configuration: the period, limits per principal kind, and per principal name (which win). */
export interface QuotaConfig {
  period_seconds: number;
  kinds: Partial<Record<PrincipalKind, QuotaLimits>>;
  principals: Record<string, QuotaLimits>;
}

/** Amounts one write adds. */
export type Usage = { [K in keyof QuotaLimits]-?: number };

/** Without quotas.json: an hour's period; participants and integrations bound, admin, auditor and site principals not. */
export const defaultQuotas: QuotaConfig = {
  period_seconds: 3600,
  kinds: {
    participant: { records: 100, threads: 500, bytes: 64 * 1024 * 1024 },
    integration: { records: 20_000, threads: 100_000, bytes: 4 * 1024 * 1024 * 1024 },
  },
  principals: {},
};

const WHAT = ['records', 'threads', 'bytes'] as const;

/**
 * Check a configuration read from JSON against schemas/quotas.schema.json, refused with the first
 * fault by rank; what it leaves out keeps its default.
 */
export function checkQuotas(value: unknown): QuotaConfig {
  if (!validateQuotas(value)) {
    const first = refusals(quotasSchema, validateQuotas.errors).sort(inFileOrder(value))[0];
    throw new InvalidInput(
      first ? sentence(first) : `quotas.json: ${describeSchemaErrors(validateQuotas.errors).join('; ')}`,
    );
  }
  return {
    period_seconds: value.period_seconds ?? defaultQuotas.period_seconds,
    kinds: { ...defaultQuotas.kinds, ...value.kinds },
    principals: { ...value.principals },
  };
}

/** The parts of the file in the order they are checked; the rest by their place in the file, then rank. */
const SECTIONS = ['', 'period_seconds', 'kinds', 'principals'];

/** Orders faults as the checks always ran: period, then each kind, then each principal, in file order. */
function inFileOrder(value: unknown): (a: Refusal, b: Refusal) => number {
  const place = (r: Refusal): number[] => {
    const path = [...r.instancePath.split('/').slice(1), ...(r.found !== undefined ? [r.found] : [])];
    const out = [SECTIONS.indexOf(path[0] ?? '')];
    let node: unknown = value && typeof value === 'object' ? Reflect.get(value, path[0] ?? '') : undefined;
    for (const seg of path.slice(1)) {
      out.push(node && typeof node === 'object' ? Object.keys(node).indexOf(seg) : -1);
      node = node && typeof node === 'object' ? Reflect.get(node, seg) : undefined;
    }
    return out;
  };
  return (a, b) => {
    const [pa, pb] = [place(a), place(b)];
    for (let i = 0; i < Math.min(pa.length, pb.length); i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return a.rank - b.rank;
  };
}

/** Read `<data>/quotas.json`; no file means the defaults. */
export async function loadQuotas(data: string): Promise<QuotaConfig> {
  try {
    return checkQuotas(JSON.parse(await fs.readFile(`${data}/quotas.json`, 'utf8')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return defaultQuotas;
    throw e;
  }
}

/** What each principal has added in its current period. */
export class Quotas {
  readonly #used = new Map<string, { start: number } & Usage>();

  constructor(
    readonly config: QuotaConfig,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The limits that apply to a principal. */
  limits(p: Principal): QuotaLimits {
    return { ...this.config.kinds[p.kind], ...this.config.principals[p.name] };
  }

  /** Why adding `usage` would pass a limit of the principal, or null when it fits. */
  over(p: Principal, usage: Partial<Usage>): string | null {
    const limits = this.limits(p);
    const used = this.#current(p.name);
    for (const k of WHAT) {
      const limit = limits[k];
      const add = usage[k] ?? 0;
      if (limit === undefined || limit === null || add === 0 || used[k] + add <= limit) continue;
      const retry = Math.max(1, Math.ceil((used.start + this.config.period_seconds * 1000 - this.clock()) / 1000));
      return `expected at most ${limit} ${k} per ${this.config.period_seconds} s from ${p.name}, found ${used[k]} already and ${add} more; try again in ${retry} s`;
    }
    return null;
  }

  /** Count `usage` against the principal, or throw QuotaExceeded; gives a function that gives it back once (the write failed). */
  take(p: Principal, usage: Partial<Usage>): () => void {
    const why = this.over(p, usage);
    if (why) throw new QuotaExceeded(why, { principal: p.name });
    const used = this.#current(p.name);
    for (const k of WHAT) used[k] += usage[k] ?? 0;
    let given = false;
    return () => {
      if (given || this.#used.get(p.name) !== used) return;
      given = true;
      for (const k of WHAT) used[k] -= usage[k] ?? 0;
    };
  }

  #current(name: string): { start: number } & Usage {
    const now = this.clock();
    let used = this.#used.get(name);
    if (!used || now - used.start >= this.config.period_seconds * 1000) {
      used = { start: now, records: 0, threads: 0, bytes: 0 };
      this.#used.set(name, used);
    }
    return used;
  }
}

/** Bytes of the files under a folder (a push's quarantine). */
export function bytesUnder(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const d of entries) {
    const path = `${dir}/${d.name}`;
    total += d.isDirectory()
      ? bytesUnder(path)
      : (() => {
          try {
            return statSync(path).size;
          } catch {
            return 0;
          }
        })();
  }
  return total;
}

/** Thread folders in `to`'s tree that `from`'s tree does not have. */
export async function threadsAdded(source: ObjectSource, from: Oid, to: Oid): Promise<number> {
  const threads = async (commit: Oid): Promise<Set<string>> => {
    const c = await readCommit(source, commit);
    const root = c && (await source.read(c.tree));
    const top = root ? parseTree(root.content) : null;
    const folder = top?.find((e) => e.name === COMMUNICATIONS && isTreeEntry(e));
    const list = folder ? await source.read(folder.oid) : null;
    return new Set((list ? (parseTree(list.content) ?? []) : []).filter(isTreeEntry).map((e) => e.name));
  };
  const before = await threads(from);
  return [...(await threads(to))].filter((name) => !before.has(name)).length;
}

/** What an accepted push adds: the bytes of its quarantine, and (when `countThreads`) the threads its update of main creates. */
export async function pushUsage(
  gitdir: string,
  call: HookCall,
  env: NodeJS.ProcessEnv,
  countThreads: boolean,
): Promise<Usage> {
  const quarantine = call.env.GIT_OBJECT_DIRECTORY;
  const bytes = quarantine ? bytesUnder(quarantine) : 0;
  let threads = 0;
  if (countThreads) {
    const source = new PushSource(quarantine, new IsoGitSource(gitdir), { ...env, ...call.env });
    try {
      for (const u of call.updates)
        if (u.ref === MAIN && isOid(u.old) && isOid(u.new)) threads += await threadsAdded(source, u.old, u.new);
    } finally {
      source.close();
    }
  }
  return { records: 0, threads, bytes };
}
