/**
 * The express application: everything but the key hot path. Health, readiness, metrics,
 * status, the batch endpoints, 404 and 405 for anything else, and one error middleware that
 * turns every failure into the API's JSON error.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { ApiError, errorBody, toApiError } from './errors.js';
import { ClientGoneError, readBody, unreadBodyIsSmall } from './body.js';
import { BATCH_CONTENT_TYPE, decodeFrames, encodeFrames } from './batch-format.js';
import { AnswerBudget, batchGet, batchSet, parseBatchGetRequest } from './batch-ops.js';
import { clusterBatchGet, clusterBatchSet, type ClusterBatchContext } from './cluster-batch.js';
import { HEADER_SENDER, type Peers } from '../cluster/peers.js';
import { differingRanges, parseDigests, parseRanges, parseVersions } from '../cluster/anti-entropy.js';
import { MAX_SYNC_VERSIONS } from '../cluster/anti-entropy-exchange.js';
import { RingError, parseRingDocument } from '../ring/document.js';
import { APPLY_PATH } from './apply-handler.js';
import { parseConsistency } from './request-parts.js';
import { epochLearner } from './peer-epoch.js';
import type { KeyHandlerContext } from './key-handler.js';

/** What the hot path knows, plus what only the app's routes need. */
export interface AppContext extends KeyHandlerContext {
  peers: Peers;
  startedAt: number;
  version: string;
  /** True while the node asks its --ring-source for the ring (cluster/ring-source.ts). */
  lookingForRing: () => boolean;
}

type Handler = (req: Request, res: Response) => unknown;

export function createApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req, res, next) => {
    const started = performance.now();
    res.on('finish', () => {
      ctx.metrics.observe(operationName(req), res.statusCode, (performance.now() - started) / 1000);
    });
    if (ctx.draining()) res.setHeader('Connection', 'close');
    next();
  });

  const requireToken = (req: Request, _res: Response, next: NextFunction): void => {
    ctx.checkToken(req.headers.authorization);
    next();
  };

  route(app, '/healthz', { get: (_req, res) => res.json({ status: 'ok' }) });
  route(app, '/readyz', {
    get: (_req, res) => {
      if (ctx.draining()) return void res.status(503).json({ status: 'shutting down' });
      if (ctx.lookingForRing()) return void res.status(503).json({ status: 'looking for its ring' });
      // Restarted into the ring: not ready to serve its share until it has it back.
      const recovery = ctx.cluster.recovery.status;
      if (recovery.state === 'pulling') {
        return void res
          .status(503)
          .json({ status: 'recovering its share', epoch: recovery.epoch, waitingFor: recovery.pending });
      }
      res.json({ status: 'ready', nodeId: ctx.config.nodeId });
    },
  });
  route(app, '/metrics', {
    get: async (req, res) => {
      if (ctx.config.metricsAuth) ctx.checkToken(req.headers.authorization);
      const text = await ctx.metrics.registry.metrics();
      res.type(ctx.metrics.registry.contentType).send(text);
    },
  });

  // Peer routes take the peer credential; a sender with a newer epoch tells us a ring we missed.
  const learnEpoch = epochLearner(ctx);
  const requirePeer = (req: Request, _res: Response, next: NextFunction): void => {
    ctx.checkPeer(req.headers.authorization);
    learnEpoch(req.headers);
    next();
  };
  app.use('/v1/internal', requirePeer);
  // POST is answered before express (apply-handler.ts); any other method lands here.
  app.all(APPLY_PATH, (req) => {
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', `method ${req.method} is not allowed on ${APPLY_PATH}`, {
      Allow: 'POST',
    });
  });
  // Anti-entropy (cluster/anti-entropy-exchange.ts): digests, then versions of differing ranges.
  const syncPeer = (req: Request, epoch: unknown) => {
    const placement = ctx.cluster.currentPlacement;
    const sender = String(req.headers[HEADER_SENDER] ?? '');
    const peer = sender.slice(0, sender.indexOf('@'));
    if (placement === undefined || epoch !== placement.document.epoch) return undefined;
    if (!placement.byId.has(peer)) {
      throw new ApiError(400, 'INVALID_HEADER', `sender ${JSON.stringify(peer)} is not a member of the ring`);
    }
    return { placement, peer };
  };
  const readJson = async (req: Request, limit: number): Promise<Record<string, unknown>> => {
    const body = await readBody(req, limit, 'request');
    try {
      const json: unknown = JSON.parse(body.toString('utf8'));
      if (json !== null && typeof json === 'object' && !Array.isArray(json))
        return json as Record<string, unknown>;
    } catch {
      // answered below
    }
    throw new ApiError(400, 'INVALID_BODY', 'the body must be a JSON object');
  };
  const asBadBody = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (err) {
      throw new ApiError(400, 'INVALID_BODY', (err as Error).message);
    }
  };
  route(app, '/v1/internal/digests', {
    post: async (req, res) => {
      const json = await readJson(req, 64 * 1024);
      const theirs = asBadBody(() => parseDigests(json.digests));
      const pair = syncPeer(req, json.epoch);
      if (pair === undefined) return void res.json({ epoch: ctx.cluster.epoch, ranges: null });
      const ours = await ctx.cluster.antiEntropy.digestsFor(pair.placement, pair.peer);
      res.json({ epoch: ctx.cluster.epoch, ranges: differingRanges(ours, theirs) });
    },
  });
  route(app, '/v1/internal/sync', {
    post: async (req, res) => {
      const json = await readJson(req, 32 * 1024 * 1024);
      const ranges = asBadBody(() => parseRanges(json.ranges));
      const versions = asBadBody(() => parseVersions(json.versions, MAX_SYNC_VERSIONS));
      const pair = syncPeer(req, json.epoch);
      if (pair === undefined) return void res.json({ epoch: ctx.cluster.epoch, want: null });
      const want = await ctx.cluster.antiEntropy.answerSync(pair.placement, pair.peer, ranges, versions);
      res.json({ epoch: ctx.cluster.epoch, want });
    },
  });
  // Share recovery (cluster/share-recovery.ts): a restarted member asks for its share.
  route(app, '/v1/internal/share', {
    post: async (req, res) => {
      const json = await readJson(req, 1024);
      const { epoch, incarnation } = json;
      if (!Number.isSafeInteger(epoch) || typeof incarnation !== 'string' || incarnation === '') {
        throw new ApiError(400, 'INVALID_BODY', 'expected {"epoch": <integer>, "incarnation": "<id>"}');
      }
      const sender = String(req.headers[HEADER_SENDER] ?? '');
      const requester = sender.slice(0, sender.indexOf('@'));
      const answer = await ctx.cluster.answerShare(requester, epoch as number, incarnation);
      if (answer.kind === 'other-epoch') return void res.json({ epoch: answer.epoch });
      if (answer.kind === 'covered') return void res.json({ epoch, covered: true });
      res.json({ epoch, entries: answer.entries, bytes: answer.bytes });
    },
  });
  route(app, '/v1/internal/drain', {
    post: async (_req, res) => {
      res.json(await ctx.cluster.drain());
    },
  });
  // GET /v1/internal/entries/{key} is answered before express too (entries-handler.ts).

  route(app, '/v1/ring', {
    get: (req, res) => {
      // Clients (with the client token) and peers (with theirs) both read the ring.
      try {
        ctx.checkToken(req.headers.authorization);
      } catch {
        ctx.checkPeer(req.headers.authorization);
      }
      const ring = ctx.cluster.ring;
      if (ring === undefined)
        throw new ApiError(404, 'NOT_FOUND', 'no ring installed: this node serves alone');
      res.set('ETag', `"${ring.epoch}"`).json(ring);
    },
    put: async (req, res) => {
      ctx.checkPeer(req.headers.authorization);
      const body = await readBody(req, 4 * 1024 * 1024, 'ring document');
      let document;
      try {
        document = parseRingDocument(JSON.parse(body.toString('utf8')));
      } catch (err) {
        if (err instanceof RingError) throw new ApiError(400, 'INVALID_BODY', err.message);
        throw new ApiError(400, 'INVALID_BODY', 'the ring document must be JSON');
      }
      const admission = ctx.cluster.install(document);
      if (!admission.install) throw new ApiError(409, admission.code, admission.message);
      res.json({ installed: document.epoch });
    },
  });

  app.use('/v1', requireToken);
  route(app, '/v1/status', {
    get: (_req, res) => {
      const stats = ctx.store.stats();
      res.json({
        nodeId: ctx.config.nodeId,
        version: ctx.version,
        uptimeSeconds: Math.round((ctx.now() - ctx.startedAt) / 1000),
        state: ctx.draining() ? 'shutting down' : 'serving',
        store: { ...stats, policy: ctx.config.evictionPolicy },
        cluster: ctx.cluster.status(),
      });
    },
  });
  route(app, '/v1/batch/get', {
    post: async (req, res) => {
      checkBatchConsistency(ctx, req);
      const body = await readBody(req, ctx.config.maxBatchSize, 'batch');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new ApiError(400, 'INVALID_BODY', 'body must be JSON: {"keys": [<key>, ...]}');
      }
      const keys = parseBatchGetRequest(parsed, ctx.config.maxBatchKeys);
      refuseWithoutRing(ctx);
      const frames = ctx.cluster.active
        ? await clusterBatchGet(clusterBatchContext(ctx, req), keys)
        : batchGet(ctx.store, keys, ctx.now(), new AnswerBudget(ctx.config.maxBatchSize));
      res.type(BATCH_CONTENT_TYPE).send(encodeFrames(frames));
    },
  });
  route(app, '/v1/batch/set', {
    post: async (req, res) => {
      checkBatchConsistency(ctx, req);
      const type = req.headers['content-type'];
      if (type !== BATCH_CONTENT_TYPE) {
        throw new ApiError(
          400,
          'INVALID_HEADER',
          `Content-Type must be ${BATCH_CONTENT_TYPE}, got ${JSON.stringify(type ?? '')}`,
        );
      }
      const body = await readBody(req, ctx.config.maxBatchSize, 'batch');
      const frames = decodeFrames(body, ctx.config.maxBatchKeys);
      refuseWithoutRing(ctx);
      const results = ctx.cluster.active
        ? await clusterBatchSet(clusterBatchContext(ctx, req), frames)
        : batchSet(ctx.store, frames);
      res.json({ results });
    },
  });

  app.use((req: Request) => {
    throw new ApiError(404, 'ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ClientGoneError) return;
    const error = toApiError(err);
    if (error.status >= 500) ctx.logger.error('request failed', { method: req.method, url: req.url, err });
    if (res.headersSent) return;
    res.status(error.status).set(error.headers).type('application/json');
    if (!unreadBodyIsSmall(req)) res.setHeader('Connection', 'close');
    res.send(errorBody(error.code, error.message));
  });
  return app;
}

/** Registers a path's handlers and answers 405 with Allow for its other methods. */
function route(
  app: express.Express,
  path: string,
  handlers: { get?: Handler; post?: Handler; put?: Handler },
): void {
  const allowed: string[] = [];
  if (handlers.get) {
    app.get(path, handlers.get);
    allowed.push('GET', 'HEAD');
  }
  if (handlers.post) {
    app.post(path, handlers.post);
    allowed.push('POST');
  }
  if (handlers.put) {
    app.put(path, handlers.put);
    allowed.push('PUT');
  }
  app.all(path, (req) => {
    throw new ApiError(405, 'METHOD_NOT_ALLOWED', `method ${req.method} is not allowed on ${path}`, {
      Allow: allowed.join(', '),
    });
  });
}

function operationName(req: Request): string {
  switch (req.path) {
    case '/v1/batch/get':
      return 'batch_get';
    case '/v1/batch/set':
      return 'batch_set';
    case '/v1/status':
      return 'status';
    case '/healthz':
    case '/readyz':
    case '/metrics':
      return req.path.slice(1);
    default:
      return 'other';
  }
}

/** As for key requests (key-handler.ts): a member still fetching its ring serves no batch alone. */
function refuseWithoutRing(ctx: AppContext): void {
  if (!ctx.cluster.active && ctx.lookingForRing())
    throw new ApiError(503, 'NO_RING', 'this node has no ring yet (it is fetching it); retry');
}

/** What the entries of a batch sent to a node with a ring share (http/cluster-batch.ts). */
/** A bad X-Consistency is a 400 on a node serving alone too, as it is for a single request. */
function checkBatchConsistency(ctx: AppContext, req: Request): void {
  parseConsistency(req.headers['x-consistency'] as string | undefined, ctx.config.consistency);
}

function clusterBatchContext(ctx: AppContext, req: Request): ClusterBatchContext {
  const consistencyHeader = req.headers['x-consistency'] as string | undefined;
  const passHeaders: Record<string, string> = {};
  if (req.headers.authorization !== undefined) passHeaders.authorization = req.headers.authorization;
  if (consistencyHeader !== undefined) passHeaders['x-consistency'] = consistencyHeader;
  return {
    cluster: ctx.cluster,
    consistency: parseConsistency(consistencyHeader, ctx.config.consistency),
    passHeaders,
    receivedAt: Math.floor(ctx.now()),
    budget: new AnswerBudget(ctx.config.maxBatchSize),
  };
}
