// What a server checks and takes before it serves: the programs it needs (git, and bash for the
// hook), the hook itself, the data folder and its lock, and the port. Each failure is a
// CannotStart that says what happened and what to do (`data.hint`); whatever a check made before
// it failed (a folder, the lock) is given back so that a failed start leaves nothing behind.

import { constants as fsConstants, promises as fs } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { CannotStart } from '../core/errors.js';
import { chosenHook } from '../git/hooks.js';
import { gitIsRecentEnough, gitVersion, MIN_GIT, programRuns } from '../git/version.js';

const DATA_HINT = 'or choose another folder with --data (or CCR_DATA)';

/** git on PATH and recent enough, bash for the hook when it is the script, and the hook executable. */
export async function checkTools(): Promise<void> {
  const { file: hook, kind } = chosenHook();
  const [git, bash] = await Promise.all([gitVersion(), kind === 'compiled' ? true : programRuns('bash', ['-c', ':'])]);
  const install = `install git ${MIN_GIT.join('.')} or later (Debian/Ubuntu: apt-get install git) and make sure it is on PATH`;
  if (!git)
    throw new CannotStart('the git command was not found on PATH; the server runs git for every clone and push', {
      hint: install,
    });
  if (!gitIsRecentEnough(git))
    throw new CannotStart(`${git.text} is too old: the server needs ${MIN_GIT.join('.')} or later (core.fsync)`, {
      hint: install,
    });
  if (!bash)
    throw new CannotStart('bash was not found on PATH; the pre-receive hook that judges every push is a bash script', {
      hint: 'install bash, or add its folder to PATH',
    });
  // git skips a missing or non-executable hook without a word: every push would go unjudged.
  await fs.access(hook, fsConstants.X_OK).catch(() => {
    throw new CannotStart(
      `the pre-receive hook ${hook} is missing or not executable; refusing to serve pushes unjudged`,
      {
        hint: `chmod +x ${hook} (a fresh checkout of CCR and \`npm run build\` restore it)`,
      },
    );
  });
}

/** Read the TLS certificate and key files. */
export async function readTls(certFile: string, keyFile: string): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (file: string, what: string) =>
    fs.readFile(file).catch((e: NodeJS.ErrnoException) => {
      throw new CannotStart(
        `cannot read the TLS ${what} ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : (e.code ?? e.message)}`,
        {
          hint: 'give --tls-cert a PEM certificate file and --tls-key its PEM private key, both readable by this user',
        },
      );
    });
  return { cert: await read(certFile, 'certificate'), key: await read(keyFile, 'key') };
}

/** Why a file operation on the data folder failed, as a CannotStart. */
export function dataProblem(e: NodeJS.ErrnoException, data: string, doing: string): CannotStart {
  if (e.code === 'EACCES' || e.code === 'EPERM')
    return new CannotStart(`cannot ${doing} the data folder ${data}: permission denied`, {
      hint: `run ccr serve as the user that owns it, ${DATA_HINT}`,
    });
  if (e.code === 'EROFS')
    return new CannotStart(`cannot ${doing} the data folder ${data}: it is on a read-only file system`, {
      hint: `choose a folder on a writable file system with --data (or CCR_DATA)`,
    });
  if (e.code === 'ENOTDIR' || e.code === 'EEXIST')
    return new CannotStart(`${data} is not a folder (it, or a part of its path, is a file)`, {
      hint: `give --data (or CCR_DATA) a folder`,
    });
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT')
    return new CannotStart(`cannot ${doing} the data folder ${data}: no space left on the device`, {
      hint: 'free some space (ccr doctor shows how much is free)',
    });
  return new CannotStart(`cannot ${doing} the data folder ${data}: ${e.code ?? e.message}`, {
    hint: `check the folder and its permissions (ccr doctor --data ${data}), ${DATA_HINT}`,
  });
}

/** A data folder made ready: its real path, and the first folder this start created (removed again if the start fails). */
export interface DataFolder {
  path: string;
  made: string | undefined;
}

/** Create the data folder (and `coordination/`) if needed, and check that this user can write in it. */
export async function prepareDataFolder(data: string): Promise<DataFolder> {
  const made = await fs.mkdir(`${data}/coordination`, { recursive: true }).catch(async (e: NodeJS.ErrnoException) => {
    const exists = await fs.stat(data).then(
      (st) => st.isDirectory(),
      () => false,
    );
    throw dataProblem(e, data, exists ? 'write to' : 'create');
  });
  const path = await fs.realpath(data);
  const folder = { path, made: made === undefined ? undefined : await fs.realpath(made) };
  await fs
    .access(`${path}/coordination`, fsConstants.W_OK | fsConstants.X_OK)
    .catch(async (e: NodeJS.ErrnoException) => {
      await removeMade(folder);
      throw dataProblem(e, `${data}`, 'write to');
    });
  return folder;
}

/** Remove the empty folders prepareDataFolder created, deepest first (a folder holding anything stays). */
export async function removeMade(folder: DataFolder): Promise<void> {
  if (!folder.made) return;
  for (let dir = `${folder.path}/coordination`; dir.startsWith(folder.made); dir = dirname(dir)) {
    if (
      !(await fs.rmdir(dir).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

/** True when a process with this pid runs on this machine. */
function alive(pid: number): boolean {
  try {
    return Number.isInteger(pid) && pid > 0 && (process.kill(pid, 0), true);
  } catch (k) {
    return (k as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Hold `<data>/server.lock` so two servers never share a data folder; gives the release. */
export async function lockData(data: string): Promise<() => Promise<void>> {
  const path = `${data}/server.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(path, String(process.pid), { flag: 'wx' });
      return () => fs.rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST')
        throw dataProblem(e as NodeJS.ErrnoException, data, 'write to');
      const pid = Number(await fs.readFile(path, 'utf8').catch(() => 'x'));
      if (alive(pid) && pid !== process.pid) {
        throw new CannotStart(`another CCR server (pid ${pid}) is using ${data}`, {
          hint: `stop it first (kill ${pid}), ${DATA_HINT}`,
        });
      }
      // Left by a server that died: take it over.
      await fs.rm(path, { force: true });
    }
  }
  throw new CannotStart(`cannot lock ${data}: ${path} keeps coming back`, {
    hint: `make sure no other server starts on ${data} at the same time`,
  });
}

/** Why a server could not listen on host:port, as a CannotStart. */
export function listenProblem(e: NodeJS.ErrnoException, host: string, port: number): CannotStart {
  switch (e.code) {
    case 'EADDRINUSE':
      return new CannotStart(`port ${port} on ${host} is already in use`, {
        hint: 'stop what listens there (another CCR server, or any other program), or choose another port with --port (or CCR_PORT)',
      });
    case 'EACCES':
    case 'EPERM':
      return new CannotStart(`not allowed to listen on port ${port} of ${host}`, {
        hint: 'ports below 1024 need privileges: choose a port of 1024 or more with --port, with a proxy in front for 80 or 443',
      });
    case 'EADDRNOTAVAIL':
      return new CannotStart(`${host} is not an address of this machine`, {
        hint: 'give --host an address of this machine (127.0.0.1 for this machine only, 0.0.0.0 for every interface)',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CannotStart(`the host name ${host} cannot be resolved`, {
        hint: 'give --host an address or a name of this machine',
      });
    default:
      return new CannotStart(`cannot listen on ${host}:${port}: ${e.code ?? e.message}`, {
        hint: 'check --host and --port',
      });
  }
}

/** Bind a server to host:port. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (e: NodeJS.ErrnoException) => reject(listenProblem(e, host, port));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
