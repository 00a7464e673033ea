// The headers every page of the web view is sent with, as data for the route that serves it.
// The pages need nothing but themselves and their inline style, so the policy forbids
// everything else: no script, no image, no font, no frame, no form target, no connection.

import { styleHash } from './style.js';

/** Directives of the Content-Security-Policy, in the order they are sent. */
export const cspDirectives: ReadonlyArray<readonly [string, string]> = [
  ['default-src', "'none'"],
  ['script-src', "'none'"],
  ['style-src', styleHash],
  ['img-src', "'none'"],
  // Not fetches, so default-src does not cover them.
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
  ['base-uri', "'none'"],
];

/** The Content-Security-Policy header value. */
export const contentSecurityPolicy = cspDirectives.map(([name, value]) => `${name} ${value}`).join('; ');

/** Where the page is served: HSTS only makes sense (and is only honoured) over TLS. */
export interface HeaderOptions {
  tls?: boolean;
}

/**
 * The headers of an HTML page of the web view (also its error pages). Clinical content is never
 * stored by a cache or a browser's history cache, sent as a referrer, framed, or sniffed.
 */
export function pageHeaders(options: HeaderOptions = {}): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': contentSecurityPolicy,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    'X-Robots-Tag': 'noindex, nofollow',
    ...(options.tls ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
  };
}
