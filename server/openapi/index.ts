// The OpenAPI 3.1 document of the server (issue 16), served at GET /api/openapi.json without
// credentials. Each area of the server describes its paths in a module of this folder exporting
// `paths`; this file assembles them (add an area: add its module to `areas`).

import { version } from '../../version.js';
import type { ServerContext } from '../context.js';
import { components } from './components.js';
import { paths as eventPaths } from './events.js';
import { paths as gitPaths } from './git.js';
import { paths as opsPaths } from './ops.js';
import { paths as principalPaths } from './principals.js';
import { paths as recordPaths } from './records.js';
import { paths as threadPaths } from './threads.js';
import { paths as webPaths } from './web.js';
import type { Paths } from './types.js';

/** The areas of the server, each with its paths. */
export const areas: Record<string, Paths> = {
  ops: opsPaths,
  git: gitPaths,
  records: recordPaths,
  threads: threadPaths,
  principals: principalPaths,
  events: eventPaths as Paths,
  web: webPaths,
};

/** The whole document, for a server reached at `baseUrl`. */
export function openApiDocument(baseUrl: string): Record<string, unknown> {
  const paths: Paths = {};
  for (const [area, own] of Object.entries(areas)) {
    for (const [path, item] of Object.entries(own)) {
      if (paths[path]) throw new Error(`openapi: ${path} is described by two areas (${area} and another)`);
      paths[path] = item;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'CCR — Care Coordination Repository',
      version,
      description:
        'The HTTP interface of a CCR server: git smart HTTP for records, the JSON API, the read-only web view ' +
        'and operations endpoints. Every write goes through the same rules, rights and participant views as a git push.',
    },
    servers: [{ url: baseUrl }],
    security: [{ basic: [] }, { bearer: [] }],
    tags: Object.keys(areas).map((name) => ({ name })),
    paths,
    components,
  };
}

let cached: { base: string; doc: Record<string, unknown> } | null = null;

/** GET /api/openapi.json (built once per server). */
export function openApiRoute(ctx: ServerContext): Record<string, unknown> {
  if (cached?.base !== ctx.baseUrl) cached = { base: ctx.baseUrl, doc: openApiDocument(ctx.baseUrl) };
  return cached.doc;
}
