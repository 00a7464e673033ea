// The routes table: every endpoint the server answers, grouped by area. Adding an endpoint is one
// route object in its area's file (and its operation in server/openapi/).

import { eventRoutes } from './events.js';
import { gitRoutes } from './git.js';
import { opsRoutes } from './ops.js';
import { principalRoutes } from './principals.js';
import { recordRoutes } from './records.js';
import { threadRoutes } from './threads.js';
import { webRoutes } from './web.js';

/** Every route, in the order the router tries them (their patterns do not overlap). */
export const routes = [
  ...opsRoutes,
  ...gitRoutes,
  ...recordRoutes,
  ...threadRoutes,
  ...principalRoutes,
  ...eventRoutes,
  ...webRoutes,
];
