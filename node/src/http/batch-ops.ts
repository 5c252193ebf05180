/**
 * Batch get and batch set: many keys in one request, each entry handled exactly as its single
 * request would be (the same functions of key-ops.ts), each with its own status. A batch is not
 * a transaction: one entry's failure does not undo or stop the others.
 */
import type { CacheStore } from '../store/types.js';
import { ApiError, toApiError } from './errors.js';
import { readKey, writeKey } from './key-ops.js';
import { type Frame, type FrameHeader } from './batch-format.js';
import { checkKeyText, parseEtagCondition, parseTtl } from './request-parts.js';

const NO_CONDITIONS = { ifMatch: undefined, ifNoneMatch: undefined };

export interface EntryResult {
  key: string;
  status: number;
  etag?: string;
  error?: { code: string; message: string };
}

/** `{"keys": [...]}` -> the keys, or 400 naming what is wrong. */
export function parseBatchGetRequest(body: unknown, maxKeys: number): string[] {
  const keys = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new ApiError(400, 'INVALID_BODY', 'body must be {"keys": [<key>, ...]}');
  if (keys.length > maxKeys) {
    throw new ApiError(400, 'INVALID_BODY', `batch holds ${keys.length} keys; the limit is ${maxKeys}`);
  }
  keys.forEach((key, i) => {
    if (typeof key !== 'string') throw new ApiError(400, 'INVALID_BODY', `keys[${i}] must be a string`);
  });
  return keys as string[];
}

/**
 * The value bytes a batch get's answer may hold (--max-batch-size, as for a request). The answer
 * is built in memory and one key may be asked for many times: unbounded, a request of a few KiB
 * made a node build max-batch-keys x max-value-size bytes (1 GiB with the defaults).
 */
export class AnswerBudget {
  private used = 0;
  constructor(readonly limit: number) {}

  /** Takes `bytes` for an entry of the answer; throws 413 (taking nothing) when they do not fit. */
  take(bytes: number): void {
    if (this.used + bytes > this.limit) {
      throw new ApiError(
        413,
        'VALUE_TOO_LARGE',
        `the batch's answer would exceed the limit of ${this.limit} bytes (--max-batch-size); read this key in another batch`,
      );
    }
    this.used += bytes;
  }
}

/** One frame per key: status 200 with the value and metadata, or 404 / 400 / 413 with an error. */
export function batchGet(
  store: CacheStore,
  keys: readonly string[],
  now: number,
  budget: AnswerBudget,
): Frame[] {
  return keys.map((key) => {
    try {
      checkKeyText(key);
      const entry = store.peek(key); // counts nothing: a refused entry is not a hit
      if (entry !== undefined) budget.take(entry.value.length);
      const reply = readKey(store, { key, conditions: NO_CONDITIONS }, now, true);
      const header: FrameHeader = { key, size: 0, status: 200 };
      for (let i = 0; i < reply.headers.length; i += 2) {
        const name = reply.headers[i];
        if (name === 'Content-Type') header.contentType = reply.headers[i + 1];
        if (name === 'ETag') header.etag = reply.headers[i + 1];
        if (name === 'X-TTL-Ms') header.ttlMs = Number(reply.headers[i + 1]);
      }
      return { header, value: reply.body ?? new Uint8Array(0) };
    } catch (err) {
      const error = toApiError(err);
      return {
        header: { key, size: 0, status: error.status, error: { code: error.code, message: error.message } },
        value: new Uint8Array(0),
      };
    }
  });
}

/** Frame headers may carry contentType, ttlMs, ifMatch and ifNoneMatch, as the headers of a PUT. */
export function batchSet(store: CacheStore, frames: readonly Frame[]): EntryResult[] {
  return frames.map(({ header, value }) => {
    try {
      checkKeyText(header.key);
      const reply = writeKey(store, {
        key: header.key,
        value,
        contentType: optionalString(header, 'contentType'),
        ttlMs: header.ttlMs === undefined ? undefined : parseTtl(String(header.ttlMs)),
        conditions: {
          ifMatch: parseEtagCondition('ifMatch', optionalString(header, 'ifMatch')),
          ifNoneMatch: parseEtagCondition('ifNoneMatch', optionalString(header, 'ifNoneMatch'), true),
        },
      });
      const etag = reply.headers[reply.headers.indexOf('ETag') + 1];
      return { key: header.key, status: reply.status, etag };
    } catch (err) {
      const error = toApiError(err);
      return { key: header.key, status: error.status, error: { code: error.code, message: error.message } };
    }
  });
}

export function optionalString(header: FrameHeader, field: string): string | undefined {
  const value = header[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ApiError(400, 'INVALID_HEADER', `"${field}" must be a string`);
  return value;
}
