/**
 * One cache node: the store, the HTTP server in front of it, and its lifecycle. Requests for
 * /v1/keys/* go to the hot-path handler, peers' batches (POST /v1/internal/apply and the
 * upgraded replication stream) and replica reads (GET /v1/internal/entries/{key}) to theirs,
 * everything else to the express app. The server
 * guards itself: a connection limit (503), header and request timeouts (408), JSON answers to
 * malformed HTTP, and a graceful shutdown that lets in-flight requests finish.
 */
import {
  STATUS_CODES,
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Store } from '../store/store.js';
import type { Logger } from '../log.js';
import type { NodeConfig } from './config.js';
import { bearerCheck } from './auth.js';
import { Credential, reloadCredential, type CredentialSource } from './credential.js';
import { createNodeMetrics } from './metrics.js';
import { registerClusterMetrics } from './cluster-metrics.js';
import { createApp } from './app.js';
import { answersBeforeBody, createKeyHandler, isKeyPath } from './key-handler.js';
import { createApplyHandler, isApply } from './apply-handler.js';
import { createEntriesHandler, entryKeySegment } from './entries-handler.js';
import { epochLearner } from './peer-epoch.js';
import { createStreamHandler } from './stream-handler.js';
import { STREAM_PATH } from '../cluster/stream-frames.js';
import { errorBody } from './errors.js';
import { VERSION } from '../version.js';
import { Replica } from '../cluster/replica.js';
import { Peers } from '../cluster/peers.js';
import { Cluster } from '../cluster/cluster.js';
import { lookUpRing } from '../cluster/ring-source.js';

export interface RunningNode {
  /** `http://host:port` */
  url: string;
  port: number;
  store: Store;
  cluster: Cluster;
  /** Stops accepting, lets in-flight requests finish (bounded by shutdownTimeoutMs), then closes. */
  shutdown(reason: string): Promise<void>;
}

export async function startNode(
  config: NodeConfig,
  logger: Logger,
  now: () => number = Date.now,
): Promise<RunningNode> {
  const store = new Store({
    maxMemory: config.maxMemory,
    maxValueBytes: config.maxValueSize,
    policy: config.evictionPolicy,
    now,
    // An entry that expires in place leaves a tombstone, as a delete does (replica.ts).
    onExpire: (key, version, expiresAt) => replica.expired(key, version, expiresAt),
  });
  const identity = { id: config.nodeId, address: config.advertiseAddress, epoch: () => cluster.epoch };
  const replica = new Replica(store, config.tombstoneGraceMs, now, config.maxTombstones);
  const credentials = nodeCredentials(config);
  const peers = new Peers(identity, () => credentials.peer?.credential.current, config.replicaTimeoutMs);
  const cluster: Cluster = new Cluster({
    selfId: config.nodeId,
    replica,
    peers,
    logger,
    hintLimit: config.maxHints,
    // Hints hold whole values: counted alone, --max-hints of them could hold 100 GB.
    hintBytes: config.maxMemory,
    unownedGraceMs: config.unownedGraceMs,
    now,
  });
  const metrics = createNodeMetrics(store);
  registerClusterMetrics(metrics.registry, cluster);
  let draining = false;
  let lookingForRing = config.ringSource !== undefined;
  const base = {
    store,
    cluster,
    peers,
    config,
    checkToken: bearerCheck(credentials.client?.credential, now),
    checkPeer: bearerCheck(credentials.peer?.credential, now),
    metrics,
    logger,
    draining: () => draining,
    lookingForRing: () => lookingForRing,
    now,
  };
  const context = { ...base, learnEpoch: epochLearner(base) };
  const keys = createKeyHandler(context);
  const apply = createApplyHandler(context);
  const streams = createStreamHandler(context);
  const entries = createEntriesHandler(context);
  const app = createApp({ ...context, startedAt: now(), version: VERSION });

  const server = createServer(
    {
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: Math.max(config.bodyTimeoutMs, config.headersTimeoutMs),
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Timeouts are only enforced when connections are checked; node's default is every 30 s.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.headersTimeoutMs / 4))),
      // Node's own 400 for a missing Host has no body; dispatch refuses it in JSON instead.
      requireHostHeader: false,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const before = trackResponse(req, res);
      // A pipelined request runs after the one before it on its connection has been answered:
      // a GET behind a PUT of the same key must see it (node emits both at once).
      if (before !== undefined && !before.writableFinished && !before.destroyed) {
        const run = () => {
          before.off('finish', run).off('close', run);
          if (!res.destroyed) dispatch(req, res);
        };
        before.on('finish', run).on('close', run);
        return;
      }
      dispatch(req, res);
    },
  );
  // A client that half-closes after its last request (shutdown(SHUT_WR), `nc -N`) still gets
  // every answer: node would otherwise end the connection at the client's FIN and drop the
  // answers still pending (cluster requests answer asynchronously). The socket ends once the
  // last answer is written.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  function dispatch(req: IncomingMessage, res: ServerResponse): void {
    // RFC 9112 3.2: a server refuses an HTTP/1.1 request that has no Host.
    if (req.headers.host === undefined && req.httpVersion === '1.1') {
      const body = errorBody('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');
      res.writeHead(400, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
        Connection: 'close',
      });
      res.end(body);
      return;
    }
    const url = originForm(req);
    if (isKeyPath(url)) return keys(req, res);
    if (isApply(req.method, url)) return apply(req, res);
    const segment = entryKeySegment(req.method, url);
    if (segment !== undefined) entries(req, res, segment);
    else app(req, res);
  }
  /** As answersBeforeBody, for a batch: refused on its token or declared length, it is not invited. */
  function batchAnswersBeforeBody(url: string, req: IncomingMessage): boolean {
    if (!url.startsWith('/v1/batch/')) return false;
    try {
      context.checkToken(req.headers.authorization);
    } catch {
      return true;
    }
    return Number(req.headers['content-length'] ?? 0) > config.maxBatchSize;
  }
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    if (sockets.has(socket)) return; // a request handed back by serveWithoutUpgrade
    if (draining || sockets.size >= config.maxConnections) {
      metrics.connectionRejected(draining ? 'shutdown' : 'limit');
      refuse(
        socket,
        503,
        draining ? 'SHUTTING_DOWN' : 'TOO_MANY_CONNECTIONS',
        draining
          ? 'the node is shutting down'
          : `the node holds its limit of ${config.maxConnections} connections; retry later`,
      );
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Expect: 100-continue. Node would invite every body; a key request that will be refused
  // is answered at once instead (curl sends the header for bodies over 1 MB).
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const url = originForm(req);
    const refused = isKeyPath(url) ? answersBeforeBody(context, req) : batchAnswersBeforeBody(url, req);
    if (!refused) res.writeContinue();
    server.emit('request', req, res);
  });
  // An Expect other than 100-continue: node's own 417 has no body; ours says why, in JSON.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const body = errorBody(
      'EXPECTATION_FAILED',
      `Expect: ${JSON.stringify(req.headers.expect)} is not supported; only 100-continue is`,
    );
    res.writeHead(417, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      Connection: 'close',
    });
    res.end(body);
  });
  // Node drops a CONNECT nobody listens for without a word.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    socket.on('error', () => undefined);
    refuse(socket, 405, 'METHOD_NOT_ALLOWED', 'method CONNECT is not allowed: this node is not a proxy');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (req.url === STREAM_PATH) streams.upgrade(req, socket, head);
    else serveWithoutUpgrade(server, req, socket, head);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));

  await listen(server, config.port, config.host);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (identity.address.endsWith(':0')) identity.address = `${identity.address.slice(0, -2)}:${port}`;

  const expiry = setInterval(() => {
    store.expire();
    replica.pruneTombstones();
  }, config.expiryIntervalMs);
  expiry.unref();
  let delivering = false;
  const hintDelivery = setInterval(() => {
    if (delivering || cluster.hints.size === 0) return;
    delivering = true;
    void cluster.deliverHints().finally(() => (delivering = false));
  }, 250);
  hintDelivery.unref();
  const antiEntropy =
    config.antiEntropyIntervalMs > 0
      ? setInterval(() => void cluster.antiEntropy.round(), config.antiEntropyIntervalMs)
      : undefined;
  antiEntropy?.unref();
  const tokenReload = watchCredentials(credentials, config.tokenReloadMs, logger, now);

  let closing: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      draining = true;
      logger.info('shutting down', { reason, openConnections: sockets.size });
      clearInterval(expiry);
      clearInterval(hintDelivery);
      clearInterval(antiEntropy);
      clearInterval(tokenReload);
      streams.close(); // upgraded connections would hold server.close() open until the deadline
      const deadline = setTimeout(() => {
        logger.warn('shutdown deadline reached; closing remaining connections', { open: sockets.size });
        server.closeAllConnections();
      }, config.shutdownTimeoutMs);
      server.close(() => {
        clearTimeout(deadline);
        peers.close(); // after the last request: in-flight ones may still forward
        cluster.close();

        logger.info('stopped', { reason });
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  logger.info('listening', {
    url,
    nodeId: config.nodeId,
    maxMemory: config.maxMemory,
    evictionPolicy: config.evictionPolicy,
    auth: config.token !== undefined,
    version: VERSION,
  });
  if (config.ringSource !== undefined) {
    const source = config.ringSource;
    void lookUpRing(source, {
      selfId: config.nodeId,
      fetchRing: (address) => peers.fetchRing(address),
      // A ring that arrived meanwhile (PUT /v1/ring, a peer's epoch) wins unless this one is newer.
      install: (document) => void cluster.install(document),
      deadlineMs: RING_LOOKUP_DEADLINE_MS,
      now,
    }).then((outcome) => {
      lookingForRing = false;
      logger.info('ring lookup at start-up', { source, outcome, epoch: cluster.epoch });
    });
  }
  return { url, port, store, cluster, shutdown };
}

/** How long a node asks its --ring-source before it goes on without a ring. */
const RING_LOOKUP_DEADLINE_MS = 30_000;

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A whole HTTP response written straight to the socket, for requests node never hands us. */
/**
 * The request target in origin form (`/v1/keys/a`): a target in absolute form
 * (`http://host/v1/keys/a`), which servers must accept (RFC 9112 3.2.2), is cut to its path,
 * and `req.url` is set to it so every handler after this sees one form.
 */
function originForm(req: IncomingMessage): string {
  const url = req.url as string;
  if (url.startsWith('/')) return url;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(url);
  if (absolute !== null) req.url = url.slice(absolute[0].length) || '/';
  return req.url as string;
}

/**
 * An Upgrade other than the replication stream's is ignored, as RFC 9110 7.8 lets a server do
 * (`curl --http2` offers h2c on every cleartext request): node hands every request carrying one
 * to the 'upgrade' listener, with no way to decline, so the request goes back to the server's
 * parser without its Upgrade header and is served as HTTP/1.1. The connection's parser is new,
 * so it starts once the responses before it are done (the socket stays paused till then).
 */
function serveWithoutUpgrade(server: Server, req: IncomingMessage, socket: Socket, head: Buffer): void {
  let request = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() !== 'upgrade')
      request += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
  }
  const reparse = (): void => {
    if (socket.destroyed) return;
    socket.unshift(Buffer.concat([Buffer.from(`${request}\r\n`, 'latin1'), head]));
    server.emit('connection', socket);
  };
  // Closed, not finished: node detaches a response from its socket between the two.
  const last = responses.get(socket)?.last;
  if (last === undefined || last.closed) return reparse();
  last.once('close', reparse);
}

function refuse(socket: Socket, status: number, code: string, message: string): void {
  const body = errorBody(code, message);
  const reason = STATUS_CODES[status] ?? 'Bad Request';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Per connection, the responses to its last two requests. Node writes a connection's responses
 * in request order, so once the last of them has finished, all have.
 */
interface Responses {
  last?: ServerResponse;
  previous?: ServerResponse;
  /** A client error is answered, or waits for the responses before it. */
  failed?: true;
}
const responses = new WeakMap<Socket, Responses>();

/** Records `res` as its connection's latest response; returns the one before it, if any. */
function trackResponse(req: IncomingMessage, res: ServerResponse): ServerResponse | undefined {
  let connection = responses.get(req.socket);
  if (connection === undefined) responses.set(req.socket, (connection = {}));
  connection.previous = connection.last;
  connection.last = res;
  return connection.previous;
}

/**
 * Malformed HTTP, oversize headers and timeouts: answer in JSON when a response can still be
 * sent, after the answers to the requests parsed before the error. Node raises the error as
 * soon as it parses the bad bytes, which may come in the same packet as pipelined requests
 * whose answers are not written yet (a PUT's waits for its body to be read); those are
 * answered first, then the error, and the connection is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const connection = responses.get(socket);
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  if (connection?.failed) return; // more bad bytes after the first error: that one is answered
  let awaited = connection?.last;
  if (awaited !== undefined && !awaited.req.complete && !awaited.writableEnded) {
    // The error cut this request short (a bad chunk, a stalled body): it is not applied, and
    // the error is its answer, unless its response has begun, which cannot be replaced (node's
    // own default handler makes the same check).
    if (awaited.headersSent) {
      socket.destroy();
      return;
    }
    awaited = connection?.previous;
  }
  if (connection !== undefined) connection.failed = true;
  if (awaited === undefined || awaited.writableFinished || awaited.destroyed) {
    refuseClientError(err, socket);
    return;
  }
  const answer = (): void => {
    awaited.off('finish', answer);
    awaited.off('close', answer);
    // A response that closes its connection leaves nothing more to say.
    if (socket.writable) refuseClientError(err, socket);
  };
  awaited.on('finish', answer);
  awaited.on('close', answer);
}

function refuseClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    refuse(socket, 408, 'REQUEST_TIMEOUT', 'the request was not received in time');
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    refuse(socket, 431, 'HEADERS_TOO_LARGE', 'request headers exceed the limit of 16 KiB');
  } else {
    refuse(socket, 400, 'BAD_REQUEST', `malformed HTTP request (${err.code ?? 'parse error'})`);
  }
}

interface NodeCredentials {
  client?: CredentialSource;
  peer?: CredentialSource;
}

/** The client and peer credentials; one shared object when the peer side follows the client token. */
function nodeCredentials(config: NodeConfig): NodeCredentials {
  const source = (token: string | undefined, file: string | undefined) =>
    token === undefined ? undefined : { credential: new Credential(token, config.tokenGraceMs), file };
  const client = source(config.token, config.tokenFile);
  const shared =
    client !== undefined && config.peerToken === config.token && config.peerTokenFile === config.tokenFile;
  return { client, peer: shared ? client : source(config.peerToken, config.peerTokenFile) };
}

/**
 * Reads the token files again every `everyMs` (credential.ts says why). A change is logged; a
 * file that cannot give a valid token keeps the token in use and is logged once per problem.
 */
function watchCredentials(
  credentials: NodeCredentials,
  everyMs: number,
  logger: Logger,
  now: () => number,
): NodeJS.Timeout | undefined {
  const sources = new Map<string, CredentialSource>();
  if (credentials.client?.file !== undefined) sources.set('client', credentials.client);
  if (credentials.peer?.file !== undefined && credentials.peer !== credentials.client)
    sources.set('peer', credentials.peer);
  if (sources.size === 0) return undefined;
  const reported = new Map<string, string>();
  const timer = setInterval(() => {
    for (const [which, source] of sources) {
      const result = reloadCredential(source, (path) => readFileSync(path, 'utf8'), now());
      if (result.outcome === 'invalid') {
        if (reported.get(which) !== result.reason)
          logger.warn('token file not reloaded; the token in use stays', { which, reason: result.reason });
        reported.set(which, result.reason);
        continue;
      }
      reported.delete(which);
      if (result.outcome === 'changed')
        logger.info('token reloaded from its file', { which, file: source.file });
    }
  }, everyMs);
  timer.unref();
  return timer;
}
