/**
 * Bearer-token check. Both sides are hashed to a fixed length first, so the comparison takes
 * the same time whatever the presented token's length or content (no timing oracle).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from './errors.js';

export type TokenCheck = (authorization: string | undefined) => void;

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

const BEARER = /^bearer +/i;

/** Returns a check that throws 401 unless `Authorization: Bearer <token>` matches; no token: no check. */
export function bearerCheck(token: string | undefined): TokenCheck {
  if (token === undefined) return () => {};
  const expected = digest(token);
  return (authorization) => {
    // The scheme is case-insensitive (RFC 9110 §11.1): some clients send "bearer".
    const scheme = BEARER.exec(authorization ?? '');
    const presented = scheme === null ? '' : (authorization as string).slice(scheme[0].length).trim();
    if (!timingSafeEqual(digest(presented), expected) || presented.length === 0) {
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
