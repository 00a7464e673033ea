// What a request presents to sign in: HTTP Basic (a principal's name and token, or a JWT of the
// sign-on issuer as the password: what git and its credential helpers send) or a Bearer JWT.
// One door: every request is authenticated here, with the same null (401) for every refusal.

import type { Principal } from '../../core/principal.js';
import { silentLogger, type Logger } from '../log.js';
import type { OidcVerifier } from './oidc.js';
import type { TokenAuthenticator } from './tokens.js';

/**
 * A signed-in request: its principal, and the credential that signed it in (a token, by id, or a
 * sign-on JWT) with when that credential stops working (epoch ms; null for a token that never expires).
 */
export interface SignedIn {
  principal: Principal;
  via: 'token' | 'sign-on';
  /** The token's id (for `via: 'token'`). */
  token?: string;
  expiresAtMs: number | null;
}

/** A credential as presented. */
export type Credential = { kind: 'basic'; name: string; secret: string } | { kind: 'bearer'; token: string };

/** The longest credential read (a JWT with many claims stays well below). */
const MAX_CREDENTIAL = 8192;
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** True when a secret has the shape of a compact JWT (three base64url parts, a JSON header). */
export function looksLikeJwt(secret: string): boolean {
  return secret.length <= MAX_CREDENTIAL && JWT.test(secret);
}

/** The credential of an Authorization header, or null for none or a malformed one. */
export function credentialOf(header: string | undefined): Credential | null {
  if (!header || header.length > MAX_CREDENTIAL * 2) return null;
  const bearer = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header.trim());
  if (bearer) return { kind: 'bearer', token: bearer[1]! };
  const basic = /^Basic ([A-Za-z0-9+/]+={0,2})$/.exec(header.trim());
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1 || decoded.length > MAX_CREDENTIAL) return null;
  return { kind: 'basic', name: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** Authenticates requests with principals' tokens and, when configured, the sign-on issuer's JWTs. */
export class Authenticator {
  constructor(
    private readonly tokens: TokenAuthenticator,
    private readonly oidc: OidcVerifier | null,
    private readonly log: Logger = silentLogger,
  ) {}

  /**
   * The principal of an Authorization header, or null (answer 401). A JWT as the Basic password
   * names its principal itself: the Basic user name is not compared with it, because credential
   * helpers that fetch sign-on tokens send a fixed one. Throws Unavailable when the issuer cannot
   * be reached.
   */
  async authenticate(header: string | undefined): Promise<Principal | null> {
    return (await this.signIn(header))?.principal ?? null;
  }

  /** Like authenticate, with the credential that signed in (a token made by the request ends no later). */
  async signIn(header: string | undefined): Promise<SignedIn | null> {
    const c = credentialOf(header);
    if (!c) return null;
    const jwt = c.kind === 'bearer' ? c.token : looksLikeJwt(c.secret) ? c.secret : null;
    if (jwt !== null && this.oidc) {
      const found = await this.oidc.signIn(jwt);
      if (!('refused' in found)) return found;
      this.log('info', 'oidc-refused', { reason: found.refused.slice(0, 300) });
    }
    // A token someone chose (CCR_ADMIN_TOKEN) may happen to look like a JWT: it is still checked as a token.
    return c.kind === 'basic' ? this.tokens.signIn(c.name, c.secret) : null;
  }
}
