// `ccr receipt verify FILE|-`: check a push receipt (what `ccr push` / `git push` printed in its
// `remote:` lines, or the access log's copy) against the server's published key, offline with
// --allowed-signers FILE or by fetching GET /api/allowed-signers with --server URL.

import { readFileSync } from 'node:fs';
import { verifyReceipt } from '../core/receipt.js';
import { parseAllowedSigners, type AllowedSigner } from '../core/ssh/allowedSigners.js';
import { Failure, out, str, UsageError, type Command } from './args.js';
import { serverOf, splitCredentials } from './credentials.js';
import { credentialsFor } from './records.js';

function signersFrom(text: string, where: string): AllowedSigner[] {
  const parsed = parseAllowedSigners(text);
  if (!parsed.ok)
    throw new UsageError(
      `${where} line ${parsed.line}: ${parsed.reason}`,
      'fetch it again from GET /api/allowed-signers',
    );
  return parsed.entries;
}

async function fetchSigners(server: string, flagUser: string | undefined): Promise<AllowedSigner[]> {
  const split = splitCredentials(server);
  if (!/^https?:\/\/[^/\s]+/.test(split.url))
    throw new UsageError(`expected the server's http(s) URL, found ${JSON.stringify(split.url)}`);
  const base = serverOf(split.url);
  const { user, token } = credentialsFor(
    base,
    { ...(split.user ? { user: split.user } : {}), ...(split.token ? { token: split.token } : {}) },
    flagUser,
  );
  const res = await fetch(`${base}/api/allowed-signers`, {
    headers: { Authorization: `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}` },
    signal: AbortSignal.timeout(60_000),
  }).catch((e: Error) => {
    throw new Failure(
      `cannot reach the server at ${base} (${e.message})`,
      'check the URL, or give --allowed-signers FILE',
    );
  });
  const text = await res.text();
  if (res.status !== 200)
    throw new Failure(
      `the server refused the allowed signers: HTTP ${res.status}`,
      'check the name and token, or give --allowed-signers FILE',
    );
  return signersFrom(text, `${base}/api/allowed-signers`);
}

export const receipt: Command = {
  help: `ccr receipt verify <file|-> (--allowed-signers FILE | --server URL [--user NAME])

Check a push receipt: the lines between -----BEGIN CCR RECEIPT----- and -----END CCR RECEIPT-----
that an accepted push prints (the remote: prefixes may stay), signed by the server's site key
(ccr-server in the allowed signers, namespace ccr-receipt). Exit 0 when it verifies, 1 when not.
The same check with ssh-keygen: the fields lines are the signed message,
  ssh-keygen -Y verify -f allowed_signers -I ccr-server -n ccr-receipt -s receipt.sig < fields

Example:
  git push 2>&1 | tee push.txt; ccr receipt verify push.txt --server https://ccr.example.org`,
  options: { 'allowed-signers': { type: 'string' }, server: { type: 'string' }, user: { type: 'string' } },
  async run(v, [action, file]) {
    if (action !== 'verify' || !file)
      throw new UsageError('use: ccr receipt verify <file|-> --allowed-signers FILE | --server URL');
    const allowed = str(v['allowed-signers']);
    const server = str(v['server']);
    if (!allowed === !server) throw new UsageError('give one of --allowed-signers FILE or --server URL');
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
    }
    let signers: AllowedSigner[];
    if (allowed) {
      let list: string;
      try {
        list = readFileSync(allowed, 'utf8');
      } catch (e) {
        throw new UsageError(`cannot read the allowed signers file ${allowed}: ${(e as Error).message}`);
      }
      signers = signersFrom(list, allowed);
    } else signers = await fetchSigners(server!, str(v['user']));
    const check = verifyReceipt(text, signers);
    const r = check.receipt;
    const human = check.ok
      ? `receipt good: ${r!.principal} moved ${r!.ref} of record ${r!.record} from ${r!.old} to ${r!.new} at ${r!.time} (${r!.server}), signed by ${check.fingerprint}`
      : `receipt bad: ${check.reason}`;
    out(v['json'] === true, check, human);
    return check.ok ? 0 : 1;
  },
};
