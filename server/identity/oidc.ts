// Single sign-on: a JWT from the configured OpenID Connect issuer, verified with jose against the
// issuer's keys (discovered through /.well-known/openid-configuration; jose keeps the JWKS,
// refetches it when a token names an unknown `kid`, at most once per cool-down), with `iss`,
// `aud`, `exp` and `nbf` checked within a small clock skew and only asymmetric algorithms taken
// (so neither `alg: none` nor an HMAC keyed with the issuer's public key can pass). A claim then
// names the principal; a principal is created only when the operator allows it, and only as a
// participant with the id, role and name the token claims.

import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type RemoteJWKSet } from 'jose';
import { CannotStart, Conflict, Forbidden, InvalidInput, Unavailable } from '../../core/errors.js';
import { isUuid } from '../../core/ids.js';
import { principalKinds, type Principal, type PrincipalKind } from '../../core/principal.js';
import { isOneOf, roles, type Role } from '../../core/vocabulary.js';
import type { IdentityStore, NewPrincipal } from '../../store/identity.js';
import { silentLogger, type Logger } from '../log.js';
import type { SignedIn } from './credentials.js';
import { toPrincipal } from './tokens.js';

/** The signature algorithms taken: asymmetric only. */
export const OIDC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Roles a participant created at sign-on may claim (`system` is the server's, never a person's). */
export const SIGN_ON_ROLES: readonly Role[] = roles.filter((r) => r !== 'system');

/** How single sign-on is configured (`ccr serve --oidc-…`, or `CCR_OIDC_…`). */
export interface OidcConfig {
  /** The issuer URL exactly as its tokens' `iss` (and its discovery document) say. */
  issuer: string;
  /** The audience a token must be for (this server's client id). */
  audience: string;
  /** The claim whose value is the principal's name (default `sub`). */
  principalClaim: string;
  /** The claim holding a participant id, which finds a participant principal (default `participant_id`). */
  participantClaim: string;
  /** Create a participant principal for a token that names none (off unless the operator turns it on). */
  createParticipants: boolean;
  /** The principal kinds sign-on may reach (default participant only: an admin by sign-on is the operator's choice). */
  kinds: readonly PrincipalKind[];
  /** Clock skew allowed for `exp` and `nbf` (seconds). */
  clockToleranceSec: number;
  /** After a JWKS fetch, no other for this long, whatever `kid` a token names (ms). */
  jwksCooldownMs: number;
  /** Time allowed for the discovery document or the JWKS (ms). */
  fetchTimeoutMs: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An issuer or JWKS URL is https, or http on this machine's loopback (an issuer run for tests or behind a local proxy). */
function checkUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidInput(`expected ${what} to be a URL, found ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new InvalidInput(`expected ${what} to be an https URL (http only on loopback), found ${text}`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InvalidInput(`expected ${what} without credentials, query or fragment, found ${text}`);
  }
  return url;
}

/** The configuration from `ccr serve` flags, falling back on the environment; null when no issuer is set. */
export function oidcConfig(
  flags: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv = process.env,
): OidcConfig | null {
  const pick = (flag: string, name: string) => {
    const v = flags[flag] ?? env[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const issuer = pick('oidc-issuer', 'CCR_OIDC_ISSUER');
  const audience = pick('oidc-audience', 'CCR_OIDC_AUDIENCE');
  if (issuer === undefined && audience === undefined) return null;
  if (issuer === undefined || audience === undefined)
    throw new InvalidInput('expected --oidc-issuer and --oidc-audience together');
  checkUrl(issuer, '--oidc-issuer');
  const claim = (v: string | undefined, fallback: string, flag: string) => {
    if (v === undefined) return fallback;
    if (!/^[A-Za-z0-9_:.-]{1,64}$/.test(v))
      throw new InvalidInput(`expected ${flag} to be a claim name, found ${JSON.stringify(v)}`);
    return v;
  };
  const create = flags['oidc-create-participants'] ?? env['CCR_OIDC_CREATE_PARTICIPANTS'];
  const kinds = (pick('oidc-kinds', 'CCR_OIDC_KINDS') ?? 'participant').split(',').map((k) => k.trim());
  for (const k of kinds) {
    if (!isOneOf(principalKinds, k)) {
      throw new InvalidInput(
        `expected --oidc-kinds to list principal kinds (${principalKinds.join(', ')}), ` + `found ${JSON.stringify(k)}`,
      );
    }
  }
  const createParticipants = create === true || create === '1' || create === 'true';
  if (createParticipants && !kinds.includes('participant')) {
    throw new InvalidInput('expected --oidc-kinds to include participant with --oidc-create-participants');
  }
  return {
    issuer,
    audience,
    principalClaim: claim(pick('oidc-principal-claim', 'CCR_OIDC_PRINCIPAL_CLAIM'), 'sub', '--oidc-principal-claim'),
    participantClaim: claim(
      pick('oidc-participant-claim', 'CCR_OIDC_PARTICIPANT_CLAIM'),
      'participant_id',
      '--oidc-participant-claim',
    ),
    createParticipants,
    kinds: kinds as PrincipalKind[],
    clockToleranceSec: 30,
    jwksCooldownMs: 30_000,
    fetchTimeoutMs: 5_000,
  };
}

/** Why a token was refused (for the log; the client gets the same 401 whatever it is). */
export type OidcRefusal = { refused: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Verifies the issuer's JWTs and finds (or, when allowed, creates) their principals. */
export class OidcVerifier {
  #jwks: RemoteJWKSet | null = null;
  #discovering: Promise<RemoteJWKSet> | null = null;
  #failedAt = 0;

  constructor(
    readonly config: OidcConfig,
    private readonly store: Pick<IdentityStore, 'principal' | 'bindings' | 'createPrincipal'>,
    private readonly log: Logger = silentLogger,
  ) {}

  /** The actor of audit entries for principals this issuer's tokens create. */
  get actor(): string {
    return `oidc:${this.config.issuer}`;
  }

  /** Fetch the discovery document once (again after a failure, at most once per cool-down). */
  #keys(): Promise<RemoteJWKSet> {
    if (this.#jwks) return Promise.resolve(this.#jwks);
    if (this.#discovering) return this.#discovering;
    if (Date.now() - this.#failedAt < this.config.jwksCooldownMs) {
      return Promise.reject(new Unavailable('the sign-on issuer could not be reached; try again in a moment'));
    }
    const mine = this.#discover()
      .then(
        (jwks) => (this.#jwks = jwks),
        (e: unknown) => {
          this.#failedAt = Date.now();
          this.log('error', 'oidc-discovery-failed', { issuer: this.config.issuer, error: e });
          throw new Unavailable('the sign-on issuer could not be reached; try again in a moment');
        },
      )
      .finally(() => {
        this.#discovering = null;
      });
    this.#discovering = mine;
    return mine;
  }

  async #discover(): Promise<RemoteJWKSet> {
    const { issuer, fetchTimeoutMs, jwksCooldownMs } = this.config;
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, {
      redirect: 'error',
      signal: AbortSignal.timeout(fetchTimeoutMs),
      headers: { accept: 'application/json' },
    });
    if (res.status !== 200) throw new Error(`expected 200 from ${url}, found ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (doc.issuer !== issuer)
      throw new Error(`expected issuer ${issuer} in ${url}, found ${JSON.stringify(doc.issuer)}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error(`expected jwks_uri in ${url}`);
    return createRemoteJWKSet(checkUrl(doc.jwks_uri, 'jwks_uri'), {
      timeoutDuration: fetchTimeoutMs,
      cooldownDuration: jwksCooldownMs,
    });
  }

  /**
   * The principal of a JWT, or why it is refused. Throws Unavailable when the issuer cannot be
   * reached (the server answers 503, not 401: the token may be good).
   */
  async verify(jwt: string): Promise<Principal | OidcRefusal> {
    const found = await this.signIn(jwt);
    return 'refused' in found ? found : found.principal;
  }

  /** Like verify, with the JWT's `exp` as the end of the sign-in. */
  async signIn(jwt: string): Promise<SignedIn | OidcRefusal> {
    const jwks = await this.#keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, jwks, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: OIDC_ALGORITHMS,
        clockTolerance: this.config.clockToleranceSec,
        requiredClaims: ['exp'],
      }));
    } catch (e) {
      // Not a verdict on the token: the keys could not be fetched (a network error is no JOSEError).
      if (
        !(e instanceof joseErrors.JOSEError) ||
        e instanceof joseErrors.JWKSTimeout ||
        e.code === 'ERR_JOSE_GENERIC'
      ) {
        this.log('error', 'oidc-jwks-failed', { issuer: this.config.issuer, error: e });
        throw new Unavailable("the sign-on issuer's keys could not be fetched; try again in a moment");
      }
      return { refused: e instanceof joseErrors.JOSEError ? `${e.code}: ${e.message}` : String(e) };
    }
    const found = await this.#principal(payload);
    if ('refused' in found) return found;
    if (!this.config.kinds.includes(found.kind)) {
      return {
        refused:
          `principal ${found.name} is ${found.kind === 'admin' || found.kind === 'auditor' ? 'an' : 'a'} ` +
          `${found.kind}; sign-on reaches only ${this.config.kinds.join(', ')} principals (--oidc-kinds)`,
      };
    }
    // requiredClaims made jose check that exp is there and a number.
    return { principal: found, via: 'sign-on', expiresAtMs: (payload.exp as number) * 1000 };
  }

  async #principal(claims: JWTPayload): Promise<Principal | OidcRefusal> {
    const named = claims[this.config.principalClaim];
    const pid = claims[this.config.participantClaim];
    if (pid !== undefined && !isUuid(pid)) return { refused: `expected ${this.config.participantClaim} to be a UUID` };
    if (typeof named === 'string') {
      const p = await this.store.principal(named);
      if (p) {
        if (pid !== undefined && (p.kind !== 'participant' || p.participant_id !== pid)) {
          return { refused: `principal ${named} is not bound to participant ${String(pid)}` };
        }
        return toPrincipal(p);
      }
    }
    if (typeof pid === 'string') {
      const bound = await this.store.bindings(pid);
      if (bound.length > 1) return { refused: `participant ${pid} is bound to several principals` };
      const p = bound[0] ? await this.store.principal(bound[0].name) : null;
      if (p) return toPrincipal(p);
    }
    if (!this.config.createParticipants)
      return { refused: `no principal for ${this.config.principalClaim} ${JSON.stringify(named)}` };
    return this.#create(claims, named, pid);
  }

  /** A participant principal from the token's claims, when every one of them is valid. */
  async #create(claims: JWTPayload, named: unknown, pid: unknown): Promise<Principal | OidcRefusal> {
    const role = claims['role'];
    const displayName = claims['name'];
    if (typeof named !== 'string' || !NAME.test(named))
      return { refused: `expected ${this.config.principalClaim} to be a principal name` };
    if (typeof pid !== 'string')
      return { refused: `expected a ${this.config.participantClaim} claim to create a participant` };
    if (!isOneOf(SIGN_ON_ROLES, role)) return { refused: `expected role to be one of ${SIGN_ON_ROLES.join(', ')}` };
    if (
      typeof displayName !== 'string' ||
      displayName.trim() === '' ||
      displayName.length > 200 ||
      /[`\n\r]/.test(displayName)
    ) {
      return { refused: 'expected a name claim of 1–200 characters on one line' };
    }
    const p: NewPrincipal = { name: named, kind: 'participant', participant_id: pid, role, display_name: displayName };
    try {
      await this.store.createPrincipal(p, null, { actor: this.actor }, true);
      this.log('info', 'oidc-principal-created', { name: named, participant_id: pid, role });
    } catch (e) {
      if (e instanceof Forbidden) return { refused: e.message }; // removed by an admin: not brought back by a token
      if (!(e instanceof Conflict)) throw e; // made by a concurrent sign-on: use it
    }
    const made = await this.store.principal(named);
    if (!made || made.kind !== 'participant' || made.participant_id !== pid)
      return { refused: `principal ${named} is another` };
    return toPrincipal(made);
  }

  /** Fetch the discovery document now (at start), so that a misconfiguration shows in the log at once. */
  async warmUp(): Promise<void> {
    await this.#keys().catch((e: unknown) => {
      throw new CannotStart(`the sign-on issuer ${this.config.issuer} cannot be used: ${(e as Error).message}`, {
        hint: 'check --oidc-issuer and that the issuer answers; the server starts without single sign-on otherwise',
      });
    });
  }
}
