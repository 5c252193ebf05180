/**
 * Parsing the parts of a key request: the key segment, X-TTL-Ms, the preconditions and
 * X-Consistency. Each parser is pure and throws an ApiError naming what was wrong, so a bad
 * request is refused before anything changes.
 */
import { utf8Length } from '../store/hash.js';
import { ApiError } from './errors.js';
import { CONSISTENCY_LEVELS, type Consistency } from './config.js';

export const KEYS_PREFIX = '/v1/keys/';
export const MAX_KEY_BYTES = 250;
/** Longest TTL accepted: ten years, far beyond any cache entry, well inside a safe integer. */
export const MAX_TTL_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * `rawPath` is what follows `/v1/keys/` (query string removed). The key is one URL-encoded
 * segment: a literal `/` is refused (encode it as %2F), and it must decode to valid UTF-8.
 */
export function decodeKey(rawPath: string): string {
  if (rawPath.length === 0) throw new ApiError(400, 'INVALID_KEY', 'key is empty');
  if (rawPath.includes('/')) {
    throw new ApiError(400, 'INVALID_KEY', 'key must be one URL-encoded path segment (encode "/" as %2F)');
  }
  // Node hands over raw path bytes as latin1; only percent-encoding says which UTF-8 was meant.
  if (/[^\x21-\x7e]/.test(rawPath)) {
    throw new ApiError(400, 'INVALID_KEY', 'key must be percent-encoded: the path holds raw non-ASCII bytes');
  }
  let key = rawPath;
  if (rawPath.includes('%')) {
    try {
      key = decodeURIComponent(rawPath);
    } catch {
      throw new ApiError(400, 'INVALID_KEY', 'key is not valid percent-encoded UTF-8');
    }
  }
  checkKeyText(key);
  return key;
}

/** A decoded key: 1 to MAX_KEY_BYTES bytes of well-formed UTF-8 (no lone surrogates). */
export function checkKeyText(key: string): void {
  if (key.length === 0) throw new ApiError(400, 'INVALID_KEY', 'key is empty');
  if (!key.isWellFormed()) throw new ApiError(400, 'INVALID_KEY', 'key is not well-formed Unicode');
  const bytes = utf8Length(key);
  if (bytes > MAX_KEY_BYTES) {
    throw new ApiError(
      400,
      'KEY_TOO_LONG',
      `key of ${bytes} bytes exceeds the limit of ${MAX_KEY_BYTES} bytes`,
    );
  }
}

/** X-TTL-Ms: a positive integer of milliseconds, at most MAX_TTL_MS; absent means no expiry. */
export function parseTtl(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  const ttl = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (!(ttl > 0 && ttl <= MAX_TTL_MS)) {
    throw new ApiError(
      400,
      'INVALID_TTL',
      `X-TTL-Ms must be a whole number of milliseconds from 1 to ${MAX_TTL_MS}, got ${JSON.stringify(header)}`,
    );
  }
  return ttl;
}

/**
 * `X-Ringcache-Deadline`: when the sender gives up on the request (ms since the epoch). A node
 * that gets to a request only later (it was paused, the request queued on its socket) refuses
 * it rather than apply a write its sender has retried elsewhere since. Absent: no deadline.
 */
export function parseDeadline(header: string | undefined): number {
  if (header === undefined) return Infinity;
  const text = header.trim();
  const deadline = /^\d{1,15}$/.test(text) ? Number(text) : NaN;
  if (Number.isNaN(deadline)) {
    throw new ApiError(
      400,
      'INVALID_HEADER',
      `X-Ringcache-Deadline must be a whole number of milliseconds since the epoch, got ${JSON.stringify(header)}`,
    );
  }
  return deadline;
}

/** The answer to a request whose deadline passed before this node started it. */
export function deadlinePassed(): ApiError {
  return new ApiError(
    503,
    'UNAVAILABLE',
    'the request reached this node after its deadline (X-Ringcache-Deadline): its sender gave up on it',
  );
}

export function parseConsistency(header: string | undefined, fallback: Consistency): Consistency {
  if (header === undefined) return fallback;
  const value = header.trim().toLowerCase();
  if ((CONSISTENCY_LEVELS as readonly string[]).includes(value)) return value as Consistency;
  throw new ApiError(
    400,
    'INVALID_HEADER',
    `X-Consistency must be one of ${CONSISTENCY_LEVELS.join(', ')}, got ${JSON.stringify(header)}`,
  );
}

/** A parsed If-Match or If-None-Match: `*`, or a list of versions (strong ETags only). */
export type EtagCondition = { any: true } | { any: false; versions: number[] };

export function formatEtag(version: number): string {
  return `"${version}"`;
}

/**
 * Parses `*` or a comma-separated list of quoted ETags. RFC 9110 compares If-Match strongly,
 * so a weak ETag (W/"...") there never matches, and If-None-Match weakly, so W/"7" matches
 * version 7 there. An ETag this node could not have produced is one that matches nothing.
 */
export function parseEtagCondition(
  name: string,
  header: string | undefined,
  // If-None-Match compares weakly, If-Match strongly (RFC 9110 13.1.1-2).
  weakMatches = name === 'If-None-Match',
): EtagCondition | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (text === '*') return { any: true };
  const versions: number[] = [];
  const pattern = /\s*(W\/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)/y;
  let matched = 0;
  for (let m = pattern.exec(text); m !== null && m[0].length > 0; m = pattern.exec(text)) {
    matched = pattern.lastIndex;
    if ((m[1] === undefined || weakMatches) && /^\d{1,16}$/.test(m[2])) versions.push(Number(m[2]));
    if (pattern.lastIndex >= text.length) break;
  }
  if (text.length === 0 || matched !== text.length) {
    throw new ApiError(
      400,
      'INVALID_HEADER',
      `${name} must be * or a list of quoted ETags such as "1234", got ${JSON.stringify(header)}`,
    );
  }
  return { any: false, versions };
}

/** Whether the current entry (its version, or undefined when absent) satisfies a condition. */
export function etagMatches(condition: EtagCondition, current: number | undefined): boolean {
  if (current === undefined) return false;
  return condition.any || condition.versions.includes(current);
}

export interface Preconditions {
  ifMatch: EtagCondition | undefined;
  ifNoneMatch: EtagCondition | undefined;
}

export function parsePreconditions(
  ifMatch: string | undefined,
  ifNoneMatch: string | undefined,
): Preconditions {
  return {
    ifMatch: parseEtagCondition('If-Match', ifMatch),
    ifNoneMatch: parseEtagCondition('If-None-Match', ifNoneMatch),
  };
}

/** For a write: true when it may go ahead given the current version (undefined = absent). */
/** Whether a write carries a precondition (If-Match or If-None-Match). */
export function isConditional(conditions: Preconditions): boolean {
  return conditions.ifMatch !== undefined || conditions.ifNoneMatch !== undefined;
}

/**
 * Whether a write is refused whatever the other replicas hold, judged from one copy's version:
 * If-Match lists only versions older than it (versions only grow, so none can be the newest).
 * Anything else needs the newest copy to decide.
 */
export function refusedByAnyCopy(conditions: Preconditions, version: number | undefined): boolean {
  const ifMatch = conditions.ifMatch;
  return (
    ifMatch !== undefined &&
    !ifMatch.any &&
    version !== undefined &&
    ifMatch.versions.every((v) => v < version)
  );
}

export function writeAllowed(conditions: Preconditions, current: number | undefined): boolean {
  if (conditions.ifMatch !== undefined && !etagMatches(conditions.ifMatch, current)) return false;
  if (conditions.ifNoneMatch !== undefined && etagMatches(conditions.ifNoneMatch, current)) return false;
  return true;
}
