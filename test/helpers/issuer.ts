// A REAL OpenID Connect issuer on 127.0.0.1 for tests: keys made here with jose, the discovery
// document and the JWKS served over HTTP, tokens signed by it.

import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { Test } from 'tap';

/** A signing key of the issuer, with its public JWK and SPKI. */
export type Key = { kid: string; alg: string; privateKey: CryptoKey; jwk: JWK; spki: string };

/** A new key pair. */
export async function makeKey(kid: string, alg = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, jwk, spki: await exportSPKI(publicKey) };
}

/** An OpenID Connect issuer on 127.0.0.1: discovery, JWKS (changeable), and counts of what was asked. */
export async function issuer(t: Test) {
  const keys: Key[] = [await makeKey('k1')];
  const hits = { discovery: 0, jwks: 0 };
  let up = true;
  const server: Server = createServer((req, res) => {
    if (!up) {
      res.writeHead(503).end();
      return;
    }
    if (req.url === '/.well-known/openid-configuration') {
      hits.discovery++;
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    } else if (req.url === '/jwks') {
      hits.jwks++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
    } else res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  type Options = { key?: Key; exp?: number; nbf?: number; iss?: string; aud?: string };
  const sign = (claims: Record<string, unknown>, o: Options = {}) => {
    const key = o.key ?? keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
      .setIssuedAt(now)
      .setIssuer(o.iss ?? url)
      .setAudience(o.aud ?? 'ccr')
      .setExpirationTime(o.exp ?? now + 300);
    if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
    return jwt.sign(key.privateKey);
  };
  return {
    url,
    keys,
    hits,
    sign,
    setUp: (v: boolean) => {
      up = v;
    },
  };
}
