// A heap fragmented on purpose, for the tests of compaction (server/heapRelease.ts): many small
// objects promoted to the old space, then every other one dropped.

import { getHeapSpaceStatistics } from 'node:v8';

/** What survives: 300,000 of 600,000 small objects, the others garbage spread between them. */
export async function fragment(): Promise<object[]> {
  const all = Array.from({ length: 600_000 }, (_, i) => ({ i, name: `object ${i}` }));
  // Kept across a few turns so that scavenges promote them to the old space.
  for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r));
  return all.filter((_, i) => i % 2 === 0);
}

/** One space of this thread's heap: committed (`space_size`) and in use. */
export function heapSpace(name: 'new_space' | 'old_space') {
  return getHeapSpaceStatistics().find((s) => s.space_name === name);
}
