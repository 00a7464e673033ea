// The type of <data>/sites.json as written (SPEC 10) and its validator (schemas/sites.schema.json,
// compiled ahead of time into core/generated/), one module beside the reader (sync/peers.ts).

import type { ValidateFunction } from 'ajv';
import * as generated from '../core/generated/configValidators.js';
import sitesSchema from '../schemas/sites.schema.json' with { type: 'json' };

/** A peer site as configured. */
export interface Peer {
  /** A short name, used in refs, logs and metrics. */
  name: string;
  /** Base URL of the peer's CCR server, e.g. https://ccr.site-b.example. */
  url: string;
  /** This server's `site` principal at the peer. */
  user: string;
  /** Its token, given here or (better) in the environment variable named by `token_env`. */
  token?: string;
  token_env?: string;
  /** Records shared with this peer: every record, or a list. */
  records: 'all' | string[];
  /**
   * The name of the peer's own `site` principal here. That principal then reads, pushes and creates
   * only the records shared with this peer (required with a list of records).
   */
  principal?: string;
  /** A CA certificate file for an https peer with a private CA. */
  ca?: string;
}

/** sites.json as written: `interval_seconds` may be left out (or null) for its default. */
export interface SitesFile {
  peers: Peer[];
  interval_seconds?: number | null;
}

/** Validates a value read from sites.json; a type guard for `SitesFile` (the generated code is untyped). */
export const validateSites = generated.validateSites as ValidateFunction<SitesFile>;

/** The schema itself, for the refusal sentences it carries and for tests. */
export { sitesSchema };
