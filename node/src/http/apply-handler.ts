/**
 * POST /v1/internal/apply straight from node:http, like the key hot path: replication sends
 * one per batch of writes to each peer, and express's router and res.json cost more than the
 * apply itself (bench:cluster, CPU per write). Peers' entries (hints, repair, hand-off, and
 * replication to a peer without the stream) are applied here: peer credential, the batch's
 * checksum checked (a mismatch is refused whole, with a log line), newest version of each entry
 * kept. Two encodings: binary entries with a CRC-32 (stream-entries.ts, what this version sends)
 * and JSON-headed entries with a SHA-256 (entry-frames.ts, what older versions send).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import {
  checksumOf,
  HEADER_CHECKSUM,
  HEADER_CRC32,
  HEADER_HINT_FOR,
  HEADER_INCARNATION,
  HEADER_SENDER,
} from '../cluster/peers.js';
import { crc32 } from '../cluster/checksum.js';
import { decodeEntries, ENTRIES_CONTENT_TYPE } from '../cluster/entry-frames.js';
import { decodeStreamEntries, ENTRIES_BINARY_CONTENT_TYPE } from '../cluster/stream-entries.js';
import type { ReplicaEntry } from '../cluster/replica.js';
import type { TokenCheck } from './auth.js';
import { ClientGoneError, readBody, unreadBodyIsSmall } from './body.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import type { KeyHandlerContext } from './key-handler.js';

export const APPLY_PATH = '/v1/internal/apply';
/** Entries one apply may carry (a hand-off batch holds at most a few thousand). */
const MAX_ENTRIES = 100_000;

interface Encoding {
  decode: (body: Buffer, maxEntries: number) => ReplicaEntry[];
  /** The header carrying the body's checksum, and how it is computed. */
  checksumHeader: string;
  checksum: (body: Buffer) => string;
}

const encodings = new Map<string, Encoding>([
  [
    ENTRIES_BINARY_CONTENT_TYPE,
    { decode: decodeStreamEntries, checksumHeader: HEADER_CRC32, checksum: (body) => String(crc32(body)) },
  ],
  [ENTRIES_CONTENT_TYPE, { decode: decodeEntries, checksumHeader: HEADER_CHECKSUM, checksum: checksumOf }],
]);

export interface ApplyHandlerContext extends KeyHandlerContext {
  checkPeer: TokenCheck;
  learnEpoch: (headers: IncomingHttpHeaders) => void;
}

/** True for the requests this handler owns; other methods on the path get express's 405. */
export function isApply(method: string | undefined, url: string): boolean {
  return method === 'POST' && url === APPLY_PATH;
}

export function createApplyHandler(
  ctx: ApplyHandlerContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const reply = (
    req: IncomingMessage,
    res: ServerResponse,
    started: number,
    status: number,
    body: string,
    extra: Record<string, string> = {},
  ): void => {
    const headers = ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))];
    for (const [name, value] of Object.entries(extra)) headers.push(name, value);
    if (ctx.draining() || !unreadBodyIsSmall(req)) headers.push('Connection', 'close');
    res.writeHead(status, headers);
    res.end(body);
    ctx.metrics.observe('apply', status, (performance.now() - started) / 1000);
  };

  const apply = async (req: IncomingMessage): Promise<number> => {
    ctx.checkPeer(req.headers.authorization);
    ctx.learnEpoch(req.headers);
    const encoding = encodings.get(String(req.headers['content-type']));
    if (encoding === undefined) {
      throw new ApiError(
        400,
        'INVALID_HEADER',
        `Content-Type must be ${ENTRIES_BINARY_CONTENT_TYPE} or ${ENTRIES_CONTENT_TYPE}`,
      );
    }
    const body = await readBody(req, ctx.config.maxBatchSize * 4, 'batch');
    const checksum = req.headers[encoding.checksumHeader];
    if (checksum !== undefined && checksum !== encoding.checksum(body)) {
      ctx.logger.warn('refused a batch whose checksum does not match', {
        from: req.headers[HEADER_SENDER],
        bytes: body.length,
      });
      throw new ApiError(
        400,
        'INVALID_BODY',
        `the batch does not match its ${encoding.checksumHeader}; nothing was applied`,
      );
    }
    const entries = encoding.decode(body, MAX_ENTRIES);
    const hintFor = req.headers[HEADER_HINT_FOR];
    return ctx.cluster.applyFromPeer(entries, typeof hintFor === 'string' ? hintFor : undefined);
  };

  return (req, res) => {
    const started = performance.now();
    apply(req).then(
      // The incarnation tells a hand-off's sender which process took the batch (share-recovery.ts).
      (applied) =>
        reply(req, res, started, 200, `{"applied":${applied}}`, {
          [HEADER_INCARNATION]: ctx.cluster.incarnation,
        }),
      (err: unknown) => {
        if (err instanceof ClientGoneError || res.headersSent) return;
        const error = toApiError(err);
        if (error.status >= 500)
          ctx.logger.error('request failed', { method: req.method, url: req.url, err });
        reply(req, res, started, error.status, errorBody(error.code, error.message), error.headers);
      },
    );
  };
}
