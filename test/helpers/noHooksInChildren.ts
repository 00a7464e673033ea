// Loaded before each test file (package.json, tap's "node-arg"). tap's process tracking
// (@tapjs/processinfo) wraps every spawn of the test process, through process-on-spawn, to put its
// hook in the child's NODE_OPTIONS: every Node process a test starts (a `ccr` command, a server, a
// spawn helper) then loaded it too, ~0.3 s more a start, and every git run paid the wrapping. The
// suite uses neither coverage nor tap's record of child processes, so this takes the wrapping off
// (process-on-spawn keeps its state in one global, shared by every copy) and the hook out of the
// environment. Without that global (another tap), nothing changes but the time.

const state = (globalThis as Record<symbol, { listeners?: unknown[]; unwrap?: () => void } | undefined>)[
  Symbol.for('process-on-spawn@*:singletonId')
];
state?.unwrap?.();
if (state?.listeners) state.listeners.length = 0;
delete process.env['NODE_OPTIONS'];
