/**
 * GET (and HEAD) /v1/internal/entries/{key} straight from node:http, like apply-handler.ts:
 * a quorum read asks the second replica for its copy on every GET, and express's router cost
 * more than the read (bench:cluster, the client's GET). The peer credential is required; the
 * answer is the node's own copy as one entry frame (value or tombstone), or 404; with
 * `?hints=1`, a newer hint it holds for the key instead (a fallback answering for an owner).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { encodeEntries, ENTRIES_CONTENT_TYPE } from '../cluster/entry-frames.js';
import type { TokenCheck } from './auth.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import type { KeyHandlerContext } from './key-handler.js';
import { decodeKey } from './request-parts.js';

export const ENTRIES_PREFIX = '/v1/internal/entries/';

export interface EntriesHandlerContext extends KeyHandlerContext {
  checkPeer: TokenCheck;
  learnEpoch: (headers: IncomingHttpHeaders) => void;
}

/**
 * The raw key segment of a request this handler owns, or undefined (express answers the rest:
 * other methods, and paths with more than one segment, as before).
 */
export function entryKeySegment(method: string | undefined, url: string): string | undefined {
  if ((method !== 'GET' && method !== 'HEAD') || !url.startsWith(ENTRIES_PREFIX)) return undefined;
  const query = url.indexOf('?', ENTRIES_PREFIX.length);
  const segment = url.slice(ENTRIES_PREFIX.length, query < 0 ? url.length : query);
  return segment.length > 0 && !segment.includes('/') ? segment : undefined;
}

export function createEntriesHandler(
  ctx: EntriesHandlerContext,
): (req: IncomingMessage, res: ServerResponse, segment: string) => void {
  return (req, res, segment) => {
    const started = performance.now();
    let status = 200;
    try {
      ctx.checkPeer(req.headers.authorization);
      ctx.learnEpoch(req.headers);
      const key = decodeKey(segment);
      const url = req.url as string;
      const entry = ctx.cluster.readLocal(key, url.endsWith('?hints=1'));
      if (entry === undefined)
        throw new ApiError(404, 'NOT_FOUND', `key ${JSON.stringify(key)} not held here`);
      const body = encodeEntries([entry]);
      res.writeHead(200, [
        'Content-Type',
        ENTRIES_CONTENT_TYPE,
        'Content-Length',
        String(body.length),
        ...(ctx.draining() ? ['Connection', 'close'] : []),
      ]);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (err) {
      const error = toApiError(err);
      status = error.status;
      if (status >= 500) ctx.logger.error('request failed', { method: req.method, url: req.url, err });
      const body = errorBody(error.code, error.message);
      const headers = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))];
      for (const [name, value] of Object.entries(error.headers)) headers.push(name, value);
      if (ctx.draining()) headers.push('Connection', 'close');
      res.writeHead(status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    }
    ctx.metrics.observe('entry', status, (performance.now() - started) / 1000);
  };
}
