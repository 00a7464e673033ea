// The web view's route (issue 16): the pages of a record under /records/, read with the rights of
// the JSON API; its errors are pages too.

import type { RecordId } from '../../core/ids.js';
import type { WebPage } from '../web/index.js';
import { parseWebPath } from '../web/paths.js';
import { webRoute } from '../webRoute.js';
import { route, type Pattern } from './route.js';

/** /records and below: a page of the view, else a 404 page (asked before signing in). */
const pages: Pattern<{ page: WebPage; record: RecordId }> = {
  paths: ['/records/{id}', '/records/{id}/archived', '/records/{id}/threads/{thread}'],
  match: (path) => {
    if (!owns(path)) return null;
    const page = parseWebPath(path);
    return page ? { page, record: page.record } : null;
  },
  owns,
  pages: true,
};

function owns(path: string): boolean {
  return path === '/records' || path.startsWith('/records/');
}

/** The web view's routes. */
export const webRoutes = [
  route({
    kind: 'web',
    method: 'GET',
    pattern: pages,
    need: { none: "read per record, as the JSON summary (mayAccess, the kind's `read`)" },
    handler: async ({ ctx, principal }, p) => ({
      type: 'page',
      status: 200,
      html: await webRoute(ctx, principal, p.page),
    }),
  }),
];
