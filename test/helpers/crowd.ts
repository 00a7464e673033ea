// A crowd of HTTP clients in a process of its own, so that its work shares the event loop of
// neither the server nor the test that measures. `node crowd.js '<json>'` with
// {url, names, token?, clients, limit?, expect}: `clients` concurrent loops GET the URL as the
// names in turn, with `token` or else a fresh random token each time, until `limit` requests
// were made or stdin closes (the test is done, or gone). It prints `started` once the loops run,
// then `{"requests":…,"expected":…,"statuses":{…},"other":[…]}` (the first answers other than
// `expect`) and exits.

import { randomBytes } from 'node:crypto';
import { send } from './wire.js';

/** What a crowd does. */
export interface CrowdPlan {
  url: string;
  names: string[];
  token?: string;
  clients: number;
  limit?: number;
  expect: number;
}

const plan = JSON.parse(process.argv[2]!) as CrowdPlan;
let running = true;
let requests = 0;
let expected = 0;
const statuses: Record<string, number> = {};
const other: string[] = [];
const loop = async () => {
  while (running && requests < (plan.limit ?? Infinity)) {
    const name = plan.names[requests++ % plan.names.length]!;
    const token = plan.token ?? `ccr_${randomBytes(32).toString('base64url')}`;
    const r = await send(plan.url, { auth: { name, token } }).catch((e: Error) => ({
      status: 0,
      body: Buffer.from(e.message),
    }));
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === plan.expect) expected++;
    else if (other.length < 20) other.push(`${r.status} ${r.body.toString().slice(0, 200)}`);
  }
};
const loops = Array.from({ length: plan.clients }, loop);
process.stdout.write('started\n');
process.stdin.resume();
process.stdin.on('end', () => {
  running = false;
});
void Promise.all(loops).then(() => {
  process.stdout.write(JSON.stringify({ requests, expected, statuses, other }) + '\n');
  process.exit(0);
});
