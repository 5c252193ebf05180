/**
 * Batch get and batch set on a node with a ring: each entry goes through the cluster exactly as
 * its single request would (forwarded to the key's owners, replicated at the batch's
 * consistency), so a batch sent to any node reads and writes the cluster, not that node's
 * store. Entries run a few at a time (those of one key in order); the answer keeps the order of the
 * request.
 */
import type { Cluster, KeyRequest } from '../cluster/cluster.js';
import type { Consistency } from './config.js';
import { checkContentTypeText } from '../store/content-types.js';
import type { Frame, FrameHeader } from './batch-format.js';
import { optionalString, type AnswerBudget, type EntryResult } from './batch-ops.js';
import { toApiError } from './errors.js';
import type { Reply } from './key-ops.js';
import { KEYS_PREFIX, checkKeyText, parseEtagCondition, parseTtl } from './request-parts.js';

/** Entries of one batch in flight at once: enough to overlap forwards, few enough to spare the owners. */
export const BATCH_CONCURRENCY = 16;

/** What every entry of a batch shares: the cluster, the consistency, the client's credential. */
export interface ClusterBatchContext {
  cluster: Pick<Cluster, 'handle'>;
  consistency: Consistency;
  /** The batch request's headers an entry's forwarded request keeps (authorization, x-consistency). */
  passHeaders: Record<string, string>;
  /** When the batch arrived (ms since the epoch): its entries' TTLs run from then. */
  receivedAt: number;
  /** A batch get's bound on the value bytes of its answer. */
  budget: AnswerBudget;
}

export async function clusterBatchGet(ctx: ClusterBatchContext, keys: readonly string[]): Promise<Frame[]> {
  return mapLimited(keys, String, async (key) => {
    try {
      checkKeyText(key);
      const reply = await ctx.cluster.handle(keyRequest(ctx, 'get', key, {}, undefined));
      if (reply.status !== 200) return errorFrame(key, reply);
      // Counted as values arrive: entries run concurrently, and an answer held whole is the bound's point.
      ctx.budget.take(reply.body?.length ?? 0);
      const header: FrameHeader = { key, size: 0, status: 200 };
      const contentType = headerOf(reply, 'content-type');
      const etag = headerOf(reply, 'etag');
      const ttl = headerOf(reply, 'x-ttl-ms');
      if (contentType !== undefined) header.contentType = contentType;
      if (etag !== undefined) header.etag = etag;
      if (ttl !== undefined) header.ttlMs = Number(ttl);
      return { header, value: reply.body ?? new Uint8Array(0) };
    } catch (err) {
      const error = toApiError(err);
      return errorFrame(key, { status: error.status, code: error.code, message: error.message });
    }
  });
}

export async function clusterBatchSet(
  ctx: ClusterBatchContext,
  frames: readonly Frame[],
): Promise<EntryResult[]> {
  return mapLimited(
    frames,
    (frame) => String(frame.header.key),
    async ({ header, value }) => {
      const key = header.key;
      try {
        checkKeyText(key);
        const contentType = optionalString(header, 'contentType');
        if (contentType !== undefined) checkContentTypeText(contentType);
        const ttlMs = header.ttlMs === undefined ? undefined : parseTtl(String(header.ttlMs));
        const ifMatch = optionalString(header, 'ifMatch');
        const ifNoneMatch = optionalString(header, 'ifNoneMatch');
        const entryHeaders: Record<string, string> = {};
        if (contentType !== undefined) entryHeaders['content-type'] = contentType;
        if (ttlMs !== undefined) entryHeaders['x-ttl-ms'] = String(ttlMs);
        if (ifMatch !== undefined) entryHeaders['if-match'] = ifMatch;
        if (ifNoneMatch !== undefined) entryHeaders['if-none-match'] = ifNoneMatch;
        const request = keyRequest(ctx, 'put', key, entryHeaders, value);
        request.contentType = contentType;
        request.ttlMs = ttlMs;
        request.conditions = {
          ifMatch: parseEtagCondition('ifMatch', ifMatch),
          ifNoneMatch: parseEtagCondition('ifNoneMatch', ifNoneMatch, true),
        };
        const reply = await ctx.cluster.handle(request);
        if (reply.status >= 400) {
          const { status, code, message } = errorOf(reply);
          return { key, status, error: { code, message } };
        }
        return { key, status: reply.status, etag: headerOf(reply, 'etag') };
      } catch (err) {
        const error = toApiError(err);
        return { key, status: error.status, error: { code: error.code, message: error.message } };
      }
    },
  );
}

function keyRequest(
  ctx: ClusterBatchContext,
  operation: 'get' | 'put',
  key: string,
  entryHeaders: Record<string, string>,
  value: Uint8Array | undefined,
): KeyRequest {
  return {
    operation,
    key,
    conditions: { ifMatch: undefined, ifNoneMatch: undefined },
    consistency: ctx.consistency,
    value: value === undefined ? undefined : Buffer.from(value.buffer, value.byteOffset, value.byteLength),
    forwarded: false,
    deadline: Infinity,
    receivedAt: ctx.receivedAt,
    passHeaders: { ...ctx.passHeaders, ...entryHeaders },
    path: KEYS_PREFIX + encodeURIComponent(key),
  };
}

/** A reply's header by lower-case name (local replies name them in canonical case, forwarded ones in lower case). */
function headerOf(reply: Reply, name: string): string | undefined {
  const headers = reply.headers;
  for (let i = 0; i < headers.length; i += 2) if (headers[i].toLowerCase() === name) return headers[i + 1];
  return undefined;
}

/** The status and JSON error of a forwarded error reply (a node's errors are JSON by contract). */
function errorOf(reply: Reply): { status: number; code: string; message: string } {
  try {
    const { error } = JSON.parse(Buffer.from(reply.body ?? new Uint8Array(0)).toString('utf8')) as {
      error: { code: string; message: string };
    };
    if (typeof error?.code === 'string' && typeof error.message === 'string')
      return { status: reply.status, ...error };
  } catch {
    // Not JSON: described by its status below.
  }
  return {
    status: reply.status,
    code: 'UPSTREAM_ERROR',
    message: `the key's owner answered ${reply.status}`,
  };
}

function errorFrame(key: string, reply: Reply | { status: number; code: string; message: string }): Frame {
  const error = 'headers' in reply ? errorOf(reply) : reply;
  return {
    header: { key, size: 0, status: error.status, error: { code: error.code, message: error.message } },
    value: new Uint8Array(0),
  };
}

/**
 * `fn` over `items` with at most BATCH_CONCURRENCY calls pending; results in input order. Items
 * with the same key run one after another in input order, as on a single node (an entry may
 * depend on an earlier one of its key: a create-only after a set).
 */
async function mapLimited<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const lastOfKey = new Map<string, Promise<unknown>>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const key = keyOf(items[i]);
      // An earlier item of the key was already taken by a worker, so this wait always ends.
      const earlier = lastOfKey.get(key);
      const run = (earlier ?? Promise.resolve()).then(() => fn(items[i]));
      lastOfKey.set(key, run);
      results[i] = await run;
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, items.length) }, worker));
  return results;
}
