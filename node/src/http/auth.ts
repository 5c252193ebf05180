/**
 * Bearer-token check against a Credential (credential.ts), which may rotate while the node
 * runs; the comparison takes the same time whatever the presented token (no timing oracle).
 */
import type { Credential } from './credential.js';
import { ApiError } from './errors.js';

export type TokenCheck = (authorization: string | undefined) => void;

const BEARER = /^bearer +/i;

/** Returns a check that throws 401 unless `Authorization: Bearer <token>` is accepted; no credential: no check. */
export function bearerCheck(credential: Credential | undefined, now: () => number = Date.now): TokenCheck {
  if (credential === undefined) return () => {};
  return (authorization) => {
    // The scheme is case-insensitive (RFC 9110 §11.1): some clients send "bearer".
    const scheme = BEARER.exec(authorization ?? '');
    const presented = scheme === null ? '' : (authorization as string).slice(scheme[0].length).trim();
    if (!credential.accepts(presented, now())) {
      throw new ApiError(
        401,
        'UNAUTHORIZED',
        authorization === undefined
          ? 'this node requires Authorization: Bearer <token>'
          : 'the bearer token is not valid',
        { 'WWW-Authenticate': 'Bearer realm="ringcache"' },
      );
    }
  };
}
