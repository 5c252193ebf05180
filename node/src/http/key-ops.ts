/**
 * What each key operation does, in one place: GET, HEAD, PUT and DELETE on /v1/keys/{key}
 * (and the batch endpoints, which call the same functions per entry). Each takes the parsed
 * request and the store and returns a Reply; the HTTP shell only reads requests and writes
 * replies. No function here changes anything before every check has passed.
 */
import type { CacheStore } from '../store/types.js';
import { ApiError, notFound } from './errors.js';
import { etagMatches, formatEtag, writeAllowed, type Preconditions } from './request-parts.js';

export type KeyOperation = 'get' | 'head' | 'put' | 'delete';

export interface Reply {
  status: number;
  /** Flat [name, value, name, value, ...], the cheapest form for ServerResponse.writeHead. */
  headers: string[];
  /** A copy the reply owns (store memory may be reused once the handler returns). */
  body?: Uint8Array;
}

export interface ReadRequest {
  key: string;
  conditions: Preconditions;
}

export interface WriteRequest {
  key: string;
  conditions: Preconditions;
  value: Uint8Array;
  contentType: string | undefined;
  ttlMs: number | undefined;
}

export const preconditionFailed = (key: string): ApiError =>
  new ApiError(412, 'PRECONDITION_FAILED', `precondition failed for key ${JSON.stringify(key)}`);

/** GET and HEAD: the value with its metadata; 304 when If-None-Match names the current ETag. */
export function readKey(store: CacheStore, request: ReadRequest, now: number, withBody: boolean): Reply {
  const slot = store.slotOf(request.key);
  if (slot < 0) throw notFound(request.key);
  const version = store.versionOf(slot);
  const etag = formatEtag(version);
  const { ifMatch, ifNoneMatch } = request.conditions;
  if (ifMatch !== undefined && !etagMatches(ifMatch, version)) throw preconditionFailed(request.key);
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, version)) {
    return { status: 304, headers: ['ETag', etag] };
  }
  const value = store.valueOf(slot);
  const headers = [
    'Content-Type',
    store.contentTypeOf(slot),
    'ETag',
    etag,
    'Content-Length',
    String(value.length),
  ];
  const expiresAt = store.expiresAtOf(slot);
  if (expiresAt !== 0) headers.push('X-TTL-Ms', String(Math.max(1, expiresAt - now)));
  return { status: 200, headers, body: withBody ? Buffer.from(value) : undefined };
}

/**
 * Checked before the body is read, so a write that cannot succeed is refused without
 * transferring its value; writeKey checks again, since the entry may change meanwhile.
 */
export function checkWritePreconditions(store: CacheStore, key: string, conditions: Preconditions): void {
  if (conditions.ifMatch === undefined && conditions.ifNoneMatch === undefined) return;
  if (!writeAllowed(conditions, currentVersion(store, key))) throw preconditionFailed(key);
}

/** PUT: 201 created or 204 replaced, with the new ETag. Compare-and-set is atomic: the store is synchronous. */
export function writeKey(store: CacheStore, request: WriteRequest): Reply {
  checkWritePreconditions(store, request.key, request.conditions);
  // Taken before the set, not read back after it: the policy may evict the new entry at once
  // (W-TinyLFU refuses a newcomer colder than its victim), leaving no version to read.
  const version = store.clock.now();
  const outcome = store.set(request.key, request.value, {
    contentType: request.contentType,
    ttlMs: request.ttlMs,
    version,
  });
  return { status: outcome === 'created' ? 201 : 204, headers: ['ETag', formatEtag(version)] };
}

/** DELETE: 204, 404 when absent, 412 when If-Match does not hold. */
export function deleteKey(store: CacheStore, request: ReadRequest): Reply {
  const version = currentVersion(store, request.key);
  if (version === undefined) throw notFound(request.key);
  if (!writeAllowed(request.conditions, version)) throw preconditionFailed(request.key);
  store.delete(request.key);
  return { status: 204, headers: [] };
}

function currentVersion(store: CacheStore, key: string): number | undefined {
  return store.peekVersion(key);
}
