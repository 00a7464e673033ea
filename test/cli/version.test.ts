// `ccr --version`, and small commands that load only what they need: `--version` and `--help`
// must not load the server, ajv, isomorphic-git or remark (a later issue holds ccr's start time
// to 1.3× that of `node -e 0`).

import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { ccr } from '../helpers/cli.js';
import { ccrBin } from '../helpers/bin.js';
import { root } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/tmp.js';

t.test('ccr --version prints the package version', async (t) => {
  const { version } = JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { version: string };
  const r = await ccr(['--version']);
  t.equal(r.status, 0);
  t.equal(r.stdout, `ccr ${version}\n`);
  t.match((await ccr(['--help'])).stdout, /ccr --version/, 'the usage mentions it');
});

/** The bundle's outputs, each with the compiled modules (and packages) it was made from. */
function bundleInputs(): Map<string, string[]> {
  ccrBin();
  const meta = JSON.parse(readFileSync(`${root}/dist/bundle/meta.json`, 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return new Map(Object.entries(meta.outputs).map(([out, o]) => [out, Object.keys(o.inputs)]));
}

/** The stderr of `node <nodeArgs> ccr <args>`, without the test runner's own NODE_OPTIONS hooks (they load modules of their own). */
async function ccrStderr(nodeArgs: string[], args: string[], cwd?: string): Promise<string> {
  const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, ...nodeArgs, ccrBin(), ...args], {
    ...(cwd ? { cwd } : {}),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  await new Promise((r) => child.on('close', r));
  return stderr;
}

/**
 * The modules a `ccr` run loads, seen by a module resolve hook: files of dist/ and node_modules
 * as they are, and for each file of the bundle the modules it was made from.
 */
async function loadedBy(t: { teardown(fn: () => void): void }, args: string[]): Promise<string[]> {
  const dir = tempDir(t);
  writeFileSync(
    `${dir}/hooks.mjs`,
    "import { writeSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, `loaded ${r.url}\\n`); return r; }\n",
  );
  writeFileSync(
    `${dir}/register.mjs`,
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
  const stderr = await ccrStderr(['--import', `${dir}/register.mjs`], args);
  const inputs = bundleInputs();
  return [...stderr.matchAll(/^loaded (\S+)$/gm)]
    .map((m) => m[1]!)
    .filter((u) => u.startsWith('file:'))
    .map((u) => u.replace(`file://${root}/`, ''))
    .flatMap((u) => [u, ...(inputs.get(u) ?? [])]);
}

t.test('--version and --help load neither the server nor ajv, isomorphic-git or remark', async (t) => {
  for (const args of [['--version'], ['--help']]) {
    const loaded = await loadedBy(t, args);
    t.ok(
      loaded.includes('dist/bundle/ccr.cjs') && loaded.includes('dist/cli/ccr.js'),
      `the hook sees ccr load (${args.join(' ')})`,
    );
    t.same(
      loaded.filter((u) => /node_modules|^dist\/(server|sync|service|git)\//.test(u)),
      [],
      `ccr ${args.join(' ')} loads only ${loaded.join(', ')}`,
    );
  }
  // The operator's new commands stay light too: doctor and login never load the server or the parsers.
  for (const args of [
    ['doctor', '--help'],
    ['login', '--help'],
  ]) {
    const loaded = await loadedBy(t, args);
    t.same(
      loaded.filter((u) => /dist\/server\/(index|app)\.js|node_modules\/(ajv|isomorphic-git|remark|unified)/.test(u)),
      [],
      `ccr ${args.join(' ')}`,
    );
  }
});

t.test(
  "--help and --version start without Node's ES module loader (ccr.cjs is CommonJS); a command loads it",
  async (t) => {
    const dir = tempDir(t);
    // Node's own modules a run loaded, listed at exit by a preloaded CommonJS script.
    writeFileSync(
      `${dir}/list.cjs`,
      "process.on('exit', () => require('node:fs').writeSync(2, process.moduleLoadList.join('\\n') + '\\n'));\n",
    );
    const internals = async (args: string[]) => (await ccrStderr(['-r', `${dir}/list.cjs`], args, dir)).split('\n');
    const esmLoader = 'NativeModule internal/modules/esm/loader';
    for (const args of [['--help'], ['--version']]) {
      const loaded = await internals(args);
      t.ok(loaded.includes('NativeModule fs'), `the list is there (${args.join(' ')})`);
      t.notOk(loaded.includes(esmLoader), `ccr ${args.join(' ')} did not load the ES module loader`);
    }
    t.ok((await internals(['login', '--help'])).includes(esmLoader), 'a light command is imported as an ES module');
  },
);
