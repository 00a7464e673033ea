// Run the bundled command (dist/bundle/main.cjs, one CommonJS file) through V8's code cache. Node 20
// compiles ES modules afresh on every start, and for `ccr message add` that was a megabyte of
// isomorphic-git, yaml and micromark (a third of its time went to compiling and the garbage the
// compiler leaves). A vm.Script given the bytes V8 produced on an earlier run skips that work.
// The cache is the user's own (XDG_CACHE_HOME, else ~/.cache, /ccr), a file per bundle content
// (its hash made by scripts/bundle.mjs, so a run reads the bundle but does not hash it), Node
// version and command; a missing, corrupt or foreign file is rejected by V8 or never read,
// the command runs as without it, and the file is written again. Nothing of it is in the project.

import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { constants as vmConstants, Script } from 'node:vm';

/** What main.cjs exports (cli/main.ts). */
export interface MainModule {
  runMain(argv: string[]): Promise<number>;
  agent(hash: string): Promise<void>;
  wantAgent(argv: string[], launcher: string): Promise<void>;
}

/** Cache files of other bundles (older builds) not written for this long are removed when a new one is written. */
const STALE_MS = 7 * 24 * 3600 * 1000;

/** …and beyond this many bytes of them, the oldest first (a developer's builds come many a day). */
const OTHERS_MAX_BYTES = 32 * 1024 * 1024;

/** The folder of ccr's code caches: $XDG_CACHE_HOME/ccr, else ~/.cache/ccr; undefined without a home. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['XDG_CACHE_HOME']?.startsWith('/')) return join(env['XDG_CACHE_HOME'], 'ccr');
  const home = env['HOME'] || homedir();
  return home ? join(home, '.cache', 'ccr') : undefined;
}

/**
 * Load the CommonJS bundle at `path`, whose content hash is `hash`, with the code cache for
 * `command`; `save()` (after the
 * command ran, so that the functions it compiled are in it) writes the cache when there was none
 * or V8 refused it. Writing never fails the command.
 */
export function loadCached(
  path: string,
  hash: string,
  command: string,
): { exports: MainModule; save(): void } | undefined {
  let source: string;
  try {
    const bytes = readFileSync(path);
    // scripts/bundle.mjs writes it in ASCII: read as latin1, a one-byte string without UTF-8 decoding.
    source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  } catch {
    return undefined; // no main.cjs next to ccr.cjs (a partial copy): the ES modules
  }
  // The length too: a bundle changed after the build (by hand) does not meet the cache of the built one.
  const key = createHash('sha256')
    .update(`${process.version} ${process.arch} ${hash} ${source.length}`)
    .digest('hex')
    .slice(0, 32);
  const dir = cacheDir();
  const file = dir && join(dir, `${key}-${/^[a-z]{1,20}$/.test(command) ? command : 'other'}.v8`);
  let cachedData: Buffer | undefined;
  try {
    if (file) cachedData = readFileSync(file);
  } catch {
    // none yet: written after this run
  }
  // The wrapper keeps line numbers: stack traces point into main.cjs as it is.
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname, __ccrMetaUrl) {${source}\n})`,
    {
      filename: path,
      ...(cachedData ? { cachedData } : {}),
      // Its `import()` calls (the server's optional packages) load as the main context's would.
      importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    },
  );
  const module = { exports: {} as MainModule };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    module.exports,
    createRequire(path),
    module,
    path,
    dirname(path),
    pathToFileURL(path).href,
  );
  return {
    exports: module.exports,
    save() {
      if (!dir || !file || (cachedData && !script.cachedDataRejected)) return;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, file);
        const others = readdirSync(dir)
          .filter((name) => !name.startsWith(key))
          .map((name) => ({ path: join(dir, name), stat: statSync(join(dir, name)) }))
          .sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs);
        let bytes = 0;
        for (const o of others) {
          bytes += o.stat.size;
          if (bytes > OTHERS_MAX_BYTES || Date.now() - o.stat.mtimeMs > STALE_MS) unlinkSync(o.path);
        }
      } catch {
        // a read-only or full disk: the next run compiles again
      }
    },
  };
}
