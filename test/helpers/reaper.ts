// Whatever a test process starts or makes must go when it ends, however it ends: tap ends a test
// that runs past its time-out with SIGALRM and then SIGKILL, which no teardown survives. A
// watchdog (test/helpers/watchdog.sh) in a session of its own, so that no signal to the test's
// process group reaches it, is told what to clean up; when its pipe from the test process closes
// it kills the process groups and processes still listed and removes the folders.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { root } from './fixtures.js';

let watchdog: ChildProcess | undefined;

function tell(line: string): void {
  if (!watchdog) {
    watchdog = spawn('bash', [`${root}/test/helpers/watchdog.sh`], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.unref();
    (watchdog.stdin as Socket).unref();
  }
  watchdog.stdin!.write(`${line}\n`);
}

/** Kill this process group (a server started with `detached`) if the test process ends first. */
export function reapGroup(pgid: number): () => void {
  tell(`group+ ${pgid}`);
  return () => tell(`group- ${pgid}`);
}

/** Kill this process if the test process ends first. */
export function reapProcess(pid: number): () => void {
  tell(`pid+ ${pid}`);
  return () => tell(`pid- ${pid}`);
}

/** Remove this folder if the test process ends first. */
export function reapFolder(dir: string): () => void {
  if (dir.includes('\n')) throw new Error(`a folder name with a line break: ${JSON.stringify(dir)}`);
  tell(`dir+ ${dir}`);
  return () => tell(`dir- ${dir}`);
}
