// Small helpers shared by the benchmarks: timing, medians, temp folders, printing.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Milliseconds an async function takes. */
export async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The p-th percentile (0–100) of numbers. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Run `fn` `n` times after `warm` warm-up runs; give the times in ms. */
export async function sample(n: number, fn: (i: number) => Promise<unknown>, warm = 3): Promise<number[]> {
  for (let i = 0; i < warm; i++) await fn(-1 - i);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await time(() => fn(i)));
  return out;
}

/** A temporary folder, removed at exit unless CCR_BENCH_KEEP is set. */
export function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ccr-bench-${prefix}-`));
  if (!process.env['CCR_BENCH_KEEP']) process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Print one result line: name, value, unit, and the ratio against a baseline when given. */
export function report(name: string, value: number, unit = 'ms', baseline?: { name: string; value: number }): void {
  const ratio = baseline ? `  ${(value / baseline.value).toFixed(2)}× ${baseline.name}` : '';
  console.log(`${name.padEnd(58)} ${value.toFixed(2).padStart(10)} ${unit}${ratio}`);
}

/** A progress line on stderr for long set-up work. */
export function progress(what: string, done: number, total: number): void {
  if (done === total || done % Math.max(1, Math.floor(total / 20)) === 0)
    process.stderr.write(`  ${what}: ${done}/${total}\r${done === total ? '\n' : ''}`);
}

/** Milliseconds a clock tick of /proc (USER_HZ is 100 on Linux). */
export const TICK = 1000 / 100;

/** utime + stime (`self`) and cutime + cstime (`children`) of a process or thread from its /proc stat file, in ms. */
export function procTimes(path: string): { self: number; children: number; name: string } {
  const stat = readFileSync(path, 'utf8');
  const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // fields after the name start at state (3rd field): utime is the 14th field overall
  return { self: (f[11]! + f[12]!) * TICK, children: (f[13]! + f[14]!) * TICK, name };
}

/** A space-separated list in an environment variable (node options, say); empty when unset. */
export const envWords = (name: string): string[] => (process.env[name] ?? '').split(' ').filter(Boolean);

/** The machine's busy time so far, ms (all cores; /proc/stat). */
export function busyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return (f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + f[7]!) * TICK;
}

/** Children of a process (of any of its threads). */
export const childrenOf = (pid: number) =>
  readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
    readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );

/**
 * CPU a server has used so far, ms: its threads, what it reaped, and its live children (the spawn
 * helper) with what they reaped. A child that ends between the listing and its reading is skipped
 * (its parent's reaped time has it once it is reaped).
 */
export function treeCpuMs(pid: number): number {
  const own = procTimes(`/proc/${pid}/stat`);
  let ms = own.self + own.children;
  for (const child of childrenOf(pid)) {
    try {
      const c = procTimes(`/proc/${child}/stat`);
      ms += c.self + c.children;
    } catch {
      // ended meanwhile
    }
  }
  return ms;
}
