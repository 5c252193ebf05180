/**
 * The hot path: /v1/keys/* straight from node:http, without express's router, which costs
 * about three quarters of the throughput of a bare server. This is a thin shell: it parses
 * the request with request-parts.ts, runs the operation of key-ops.ts and writes the Reply.
 * GET, HEAD and DELETE run synchronously; only PUT waits, for its body.
 */
import { STATUS_CODES, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { CacheStore } from '../store/types.js';
import type { NodeConfig } from './config.js';
import type { TokenCheck } from './auth.js';
import type { NodeMetrics } from './metrics.js';
import type { Logger } from '../log.js';
import type { Cluster } from '../cluster/cluster.js';
import {
  HEADER_DEADLINE,
  HEADER_FORWARDED,
  HEADER_PEER_AUTHORIZATION,
  HEADER_ELAPSED,
} from '../cluster/peers.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import { ClientGoneError, readBody, unreadBodyIsSmall } from './body.js';
import {
  checkWritePreconditions,
  deleteKey,
  preconditionFailed,
  readKey,
  writeKey,
  type KeyOperation,
  type Reply,
} from './key-ops.js';
import {
  KEYS_PREFIX,
  decodeKey,
  parseConsistency,
  parsePreconditions,
  parseDeadline,
  deadlinePassed,
  parseTtl,
  refusedByAnyCopy,
  type Preconditions,
} from './request-parts.js';
import type { Consistency } from './config.js';

export interface KeyHandlerContext {
  store: CacheStore;
  cluster: Cluster;
  config: NodeConfig;
  checkToken: TokenCheck;
  /** The peer credential: vouches for a forwarded request's forwarding headers. */
  checkPeer: TokenCheck;
  metrics: NodeMetrics;
  logger: Logger;
  /** True once shutdown began: responses then close their connection. */
  draining: () => boolean;
  /** True while the node asks its --ring-source for the ring at start-up. */
  lookingForRing: () => boolean;
  /** Fetches the ring from a peer whose request says it has a newer one. */
  learnEpoch: (headers: IncomingHttpHeaders) => void;
  now: () => number;
}

const ALLOW = 'GET, HEAD, PUT, DELETE';
/** What a forwarded key request keeps of the client's headers. */
const PASSED_HEADERS = [
  'authorization',
  'content-type',
  'x-ttl-ms',
  'if-match',
  'if-none-match',
  'x-consistency',
];

/** True for the paths this handler owns: /v1/keys, /v1/keys/..., /v1/keys?... */
export function isKeyPath(url: string): boolean {
  return url.startsWith('/v1/keys') && (url.length === 8 || url[8] === '/' || url[8] === '?');
}

/**
 * For `Expect: 100-continue`: whether a key request will be answered without its body (a
 * method that takes none, a bad token, key or header, or a declared length over the limit).
 * The client is then answered at once instead of being invited to upload what is refused.
 */
export function answersBeforeBody(ctx: KeyHandlerContext, req: IncomingMessage): boolean {
  if (req.method !== 'PUT') return true;
  try {
    const { key, conditions } = checkHead(ctx, req, 'put');
    parseTtl(req.headers['x-ttl-ms'] as string | undefined);
    // A precondition that already fails where the write would be decided: 412 at once.
    if (!ctx.cluster.active) checkWritePreconditions(ctx.store, key, conditions);
    else if (ctx.cluster.coordinates(key, false) && refusedByAnyCopy(conditions, ctx.store.peekVersion(key)))
      return true;
  } catch {
    return true;
  }
  return Number(req.headers['content-length'] ?? 0) > ctx.config.maxValueSize;
}

/**
 * What every key request is checked for before anything else, in this order: the token, the
 * method (a POST is refused as a POST, whatever its key), the key and the common headers.
 */
function checkHead(ctx: KeyHandlerContext, req: IncomingMessage, operation: KeyOperation | 'other') {
  const headers = req.headers;
  ctx.checkToken(headers.authorization);
  if (operation === 'other') throw methodNotAllowed(req.method);
  const url = req.url as string;
  const query = url.indexOf('?');
  return {
    keyOperation: operation,
    key: decodeKey(url.slice(KEYS_PREFIX.length, query < 0 ? url.length : query)),
    consistency: parseConsistency(headers['x-consistency'] as string | undefined, ctx.config.consistency),
    conditions: parsePreconditions(headers['if-match'], headers['if-none-match']),
  };
}

export function createKeyHandler(
  ctx: KeyHandlerContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { store, config, metrics } = ctx;

  const finish = (
    operation: string,
    started: number,
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
  ) => {
    const headers = reply.headers;
    if (reply.body === undefined && reply.status === 201) headers.push('Content-Length', '0');
    // Ring-aware clients compare it with their ring's epoch and refetch the ring when it is newer.
    if (ctx.cluster.active) headers.push('X-Ringcache-Epoch', String(ctx.cluster.epoch));
    // This node's clock, for clients to put their deadlines on (X-Ringcache-Deadline).
    headers.push('X-Ringcache-Time', String(Math.floor(ctx.now())));
    if (ctx.draining()) headers.push('Connection', 'close');
    res.writeHead(reply.status, headers);
    res.end(reply.body);
    record(operation, reply.status, started, req);
  };

  const fail = (
    operation: string,
    started: number,
    req: IncomingMessage,
    res: ServerResponse,
    err: unknown,
  ) => {
    if (err instanceof ClientGoneError) {
      record(operation, 499, started, req);
      return;
    }
    const error = toApiError(err);
    if (error.status >= 500) ctx.logger.error('request failed', { method: req.method, url: req.url, err });
    const body = req.method === 'HEAD' ? undefined : errorBody(error.code, error.message);
    const headers: string[] = ['Content-Type', 'application/json'];
    if (body !== undefined) headers.push('Content-Length', String(Buffer.byteLength(body)));
    for (const [name, value] of Object.entries(error.headers)) headers.push(name, value);
    if (ctx.cluster.active) headers.push('X-Ringcache-Epoch', String(ctx.cluster.epoch));
    headers.push('X-Ringcache-Time', String(Math.floor(ctx.now())));
    if (ctx.draining() || !unreadBodyIsSmall(req)) headers.push('Connection', 'close');
    if (!res.headersSent) {
      // The reason phrase is named: a writeHead that threw may have left its own on `res`.
      res.writeHead(error.status, STATUS_CODES[error.status], headers);
      res.end(body);
    }
    record(operation, error.status, started, req);
  };

  const record = (operation: string, status: number, started: number, req: IncomingMessage) => {
    const seconds = (performance.now() - started) / 1000;
    metrics.observe(operation, status, seconds);
    if (config.accessLog) {
      ctx.logger.info('request', { method: req.method, url: req.url, status, ms: seconds * 1000 });
    }
  };

  const vouchedByPeer = (authorization: string | string[] | undefined): boolean => {
    if (typeof authorization !== 'string') return ctx.config.peerToken === undefined;
    try {
      ctx.checkPeer(authorization);
      return true;
    } catch {
      return false;
    }
  };
  /** Only another node may say a request was forwarded (its peer credential vouches for it). */
  const forwardedByPeer = (headers: IncomingHttpHeaders): boolean =>
    headers[HEADER_FORWARDED] !== undefined && vouchedByPeer(headers[HEADER_PEER_AUTHORIZATION]);

  /** With a ring installed: the replicas of the key coordinate it (cluster/cluster.ts). */
  const clusterRequest = (
    operation: KeyOperation,
    key: string,
    consistency: Consistency,
    conditions: Preconditions,
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
  ) => {
    const headers = req.headers;
    const ttlMs = operation === 'put' ? parseTtl(headers['x-ttl-ms'] as string | undefined) : undefined;
    const passHeaders: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = headers[name];
      if (typeof value === 'string') passHeaders[name] = value;
    }
    // Only another node may say a request was forwarded; anyone may say until when it may run.
    const fromPeer = forwardedByPeer(headers);
    const deadline = parseDeadline(headers[HEADER_DEADLINE] as string | undefined);
    const elapsed = fromPeer ? Number(headers[HEADER_ELAPSED]) : NaN;
    const receivedAt = Math.floor(ctx.now()) - (Number.isSafeInteger(elapsed) && elapsed > 0 ? elapsed : 0);
    // Where this node decides the write, a precondition that fails whatever the other replicas
    // hold is answered before the body is read; the rest is decided on the newest copy.
    if (
      operation === 'put' &&
      ctx.cluster.coordinates(key, fromPeer) &&
      refusedByAnyCopy(conditions, store.peekVersion(key))
    )
      throw preconditionFailed(key);
    const body = operation === 'put' ? readBody(req, config.maxValueSize) : Promise.resolve(undefined);
    body
      .then((value) => {
        if (ctx.now() > deadline) throw deadlinePassed();
        return ctx.cluster.handle({
          operation,
          key,
          consistency,
          conditions,
          value,
          ttlMs,
          receivedAt,
          contentType: headers['content-type'],
          forwarded: fromPeer,
          deadline,
          passHeaders,
          path: req.url as string,
        });
      })
      .then(
        (reply) => finish(operation, started, req, res, reply),
        (err) => fail(operation, started, req, res, err),
      );
  };

  return (req, res) => {
    const started = performance.now();
    const operation = operationOf(req.method);
    try {
      const headers = req.headers;
      const { key, consistency, conditions, keyOperation } = checkHead(ctx, req, operation);
      if (ctx.cluster.active) {
        clusterRequest(keyOperation, key, consistency, conditions, req, res, started);
        return;
      }
      // No ring: a member still fetching it, or one a peer forwards to as a replica (restarted,
      // its ring not back yet), would answer from its own empty store or keep a write as the
      // only copy. It refuses until the ring arrives (and learns it from the peer).
      const fromPeer = forwardedByPeer(headers);
      if (fromPeer) ctx.learnEpoch(headers);
      if (fromPeer || ctx.lookingForRing())
        throw new ApiError(503, 'NO_RING', 'this node has no ring yet (it is fetching it); retry');
      const deadline = parseDeadline(headers[HEADER_DEADLINE] as string | undefined);
      if (ctx.now() > deadline) throw deadlinePassed();
      switch (keyOperation) {
        case 'get':
        case 'head':
          finish(
            operation,
            started,
            req,
            res,
            readKey(store, { key, conditions }, ctx.now(), operation === 'get'),
          );
          return;
        case 'delete':
          finish(operation, started, req, res, deleteKey(store, { key, conditions }));
          return;
        case 'put': {
          const ttlMs = parseTtl(headers['x-ttl-ms'] as string | undefined);
          const contentType = headers['content-type'];
          checkWritePreconditions(store, key, conditions);
          readBody(req, config.maxValueSize).then(
            (value) => {
              try {
                if (ctx.now() > deadline) throw deadlinePassed();
                finish(
                  operation,
                  started,
                  req,
                  res,
                  writeKey(store, { key, conditions, value, contentType, ttlMs }),
                );
              } catch (err) {
                fail(operation, started, req, res, err);
              }
            },
            (err) => fail(operation, started, req, res, err),
          );
          return;
        }
      }
    } catch (err) {
      fail(operation, started, req, res, err);
    }
  };
}

function operationOf(method: string | undefined): KeyOperation | 'other' {
  switch (method) {
    case 'GET':
      return 'get';
    case 'HEAD':
      return 'head';
    case 'PUT':
      return 'put';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}

function methodNotAllowed(method: string | undefined): ApiError {
  return new ApiError(405, 'METHOD_NOT_ALLOWED', `method ${method} is not allowed on keys`, { Allow: ALLOW });
}
