// The git smart-HTTP routes: a record's refs advertisement and its upload-pack and receive-pack
// exchanges, each a route of its own (so each is counted under its own metrics label).

import { isRecordId, type RecordId } from '../../core/ids.js';
import { gitRoute } from '../gitRoute.js';
import { lingerOnRefusal, sendJson } from '../http.js';
import type { GitService } from '../smartHttp.js';
import { route, type Call, type Pattern, type Reply } from './route.js';

const GIT = /^\/coordination\/([0-9a-f-]{36})(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

type Step = 'advertise' | 'rpc';
type GitParams = { record: RecordId; service: GitService };

/** A git URL of one step and service: `info/refs?service=<service>`, or `<service>` itself. */
function gitPattern(step: Step, service: GitService): Pattern<GitParams> {
  return {
    paths: [`/coordination/{id}.git/${step === 'advertise' ? 'info/refs' : service}`],
    match: (path, query) => {
      const m = GIT.exec(path);
      if (!m || !isRecordId(m[1])) return null;
      const asked =
        m[2] === 'info/refs' ? (step === 'advertise' ? query.get('service') : null) : step === 'rpc' ? m[2] : null;
      return asked === service ? { record: m[1], service } : null;
    },
  };
}

/** Serve the exchange, log it, and end the response (git wrote it, or a refusal as JSON). */
async function serveGit(call: Call, p: GitParams, step: Step): Promise<Reply> {
  const { ctx, req, res, principal, requestId, entry } = call;
  const out = await gitRoute(ctx, req, res, principal, p.record, p.service, step, requestId);
  if (out.updates) entry.updates = out.updates;
  await call.finish(out.status, out.outcome);
  if (!res.headersSent) {
    lingerOnRefusal(req, res);
    const message =
      {
        'too-large': 'the request body is too large',
        'bad-body': 'the request body could not be read',
        'bad-request': 'git could not read the request',
      }[out.outcome] ?? 'the request could not be served';
    sendJson(res, out.status, { error: { code: out.outcome, message } });
    return { type: 'sent' };
  }
  res.end();
  return { type: 'sent' };
}

const perRecord = {
  none: "per record: mayAccess (the kind's `read`/`write`); an auditor's push is refused in gitRoute with its own words",
};

/** One git route. */
function gitRouteOf(step: Step, service: GitService) {
  return route({
    kind: 'git',
    metric: `git-${step}-${service.slice(4)}`,
    method: step === 'advertise' ? 'GET' : 'POST',
    pattern: gitPattern(step, service),
    need: perRecord,
    handler: (call, p) => serveGit(call, p, step),
  });
}

/** The git routes. */
export const gitRoutes = [
  gitRouteOf('advertise', 'git-upload-pack'),
  gitRouteOf('advertise', 'git-receive-pack'),
  gitRouteOf('rpc', 'git-upload-pack'),
  gitRouteOf('rpc', 'git-receive-pack'),
];
