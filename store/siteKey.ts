// The site key: the Ed25519 key this server signs its own commits and its push receipts with,
// `<data>/site-signing-key` (OpenSSH format, mode 0600, made at the first start, never served).
// Its public half is published in `GET /api/allowed-signers` as the identity `ccr-server`.

import { promises as fs, constants } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { RECEIPT_NAMESPACE, SITE_SIGNER } from '../core/receipt.js';
import { renderAllowedSigner } from '../core/ssh/allowedSigners.js';
import { formatOpenSshPrivateKey, newEd25519Key, parseOpenSshPrivateKey } from '../core/ssh/privateKey.js';
import { formatPublicKey, publicKeyFromKeyObject, type SshPublicKey } from '../core/ssh/keys.js';
import { GIT_NAMESPACE, signSshSignature } from '../core/ssh/sshsig.js';
import type { CommitSigner } from '../git/build.js';
import { keySigner } from '../git/signers.js';

export { RECEIPT_NAMESPACE, SITE_SIGNER };
/** The file of the site key in the data folder. */
export const SITE_KEY_FILE = 'site-signing-key';

/** The site key, loaded. */
export interface SiteKey {
  publicKey: SshPublicKey;
  /** Signs the commits the server writes itself. */
  signer: CommitSigner;
  /** An armoured SSHSIG over `text` in the receipt namespace. */
  signReceipt(text: string): string;
  /** The allowed signers line of the key (`ccr-server namespaces="git,ccr-receipt" ssh-ed25519 …`). */
  allowedSigner: string;
}

function siteKeyOf(key: KeyObject): SiteKey {
  const pub = publicKeyFromKeyObject(key);
  if (!pub.ok) throw new Error(pub.reason);
  return {
    publicKey: pub.key,
    signer: keySigner(key),
    signReceipt: (text) => signSshSignature(new TextEncoder().encode(text), key, { namespace: RECEIPT_NAMESPACE }),
    allowedSigner: renderAllowedSigner({
      principal: SITE_SIGNER,
      key: pub.key,
      namespaces: [GIT_NAMESPACE, RECEIPT_NAMESPACE],
    }),
  };
}

/**
 * Load `<data>/site-signing-key`, making it when there is none (exclusive create, mode 0600, then
 * synced). A key file readable by others is refused: it signs for the whole site.
 */
export async function loadSiteKey(data: string): Promise<{ key: SiteKey; made: boolean }> {
  const file = `${data}/${SITE_KEY_FILE}`;
  let made = false;
  try {
    const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      await handle.writeFile(formatOpenSshPrivateKey(newEd25519Key(), SITE_SIGNER));
      await handle.sync();
    } finally {
      await handle.close();
    }
    made = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = await fs.stat(file);
  if ((st.mode & 0o077) !== 0)
    throw new Error(
      `${file} may be read by others (mode ${(st.mode & 0o777).toString(8)}); expected 600 (chmod 600 it)`,
    );
  return { key: siteKeyOf(parseOpenSshPrivateKey(await fs.readFile(file, 'utf8'))), made };
}

/** The public key line of the site key (for an operator registering it at a peer). */
export function sitePublicKeyLine(key: SiteKey): string {
  return formatPublicKey(key.publicKey);
}
