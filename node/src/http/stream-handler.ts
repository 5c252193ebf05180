/**
 * The receiving side of the replication stream (cluster/stream-frames.ts): a peer upgrades a
 * connection on POST /v1/internal/stream with the peer credential, then sends batches of
 * entries as frames; each is checked against its checksum (a mismatch is refused whole, with
 * a log line), applied, and acknowledged with its status. Frames that arrive together are
 * acknowledged in one write.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { decodeEntries } from '../cluster/entry-frames.js';
import { decodeStreamEntries } from '../cluster/stream-entries.js';
import type { ReplicaEntry } from '../cluster/replica.js';
import { HEADER_EPOCH, HEADER_SENDER } from '../cluster/peers.js';
import {
  ACK_BYTES,
  encodeAck,
  FrameReader,
  CRC32,
  SHA256,
  type Checksum,
  STREAM_PATH,
  STREAM_PROTOCOL,
  STREAM_PROTOCOL_V1,
  type BatchFrame,
} from '../cluster/stream-frames.js';
import type { TokenCheck } from './auth.js';
import { ApiError, errorBody, toApiError } from './errors.js';
import type { KeyHandlerContext } from './key-handler.js';

export interface StreamHandlerContext extends KeyHandlerContext {
  checkPeer: TokenCheck;
  learnEpoch: (headers: IncomingHttpHeaders) => void;
}

type Decoder = (body: Buffer, maxEntries: number) => ReplicaEntry[];
interface Version {
  decode: Decoder;
  checksum: Checksum;
}
/** The entry encoding and checksum of each protocol version a sender may ask for. */
const versions = new Map<string, Version>([
  [STREAM_PROTOCOL, { decode: decodeStreamEntries, checksum: CRC32 }],
  [STREAM_PROTOCOL_V1, { decode: decodeEntries, checksum: SHA256 }],
]);

/** Entries one frame may carry, as for POST /v1/internal/apply. */
const MAX_ENTRIES = 100_000;

export interface StreamHandler {
  /** The server's 'upgrade' listener. */
  upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void;
  /** Ends every stream (shutdown): what was received has been applied and acknowledged. */
  close(): void;
}

export function createStreamHandler(ctx: StreamHandlerContext): StreamHandler {
  const open = new Set<Socket>();

  const refuse = (socket: Socket, error: ApiError): void => {
    const body = errorBody(error.code, error.message);
    const extra = Object.entries(error.headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.end(
      `HTTP/1.1 ${error.status} ${error.code}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra.join('')}Connection: close\r\n\r\n${body}`,
    );
  };

  /** Applies one batch; its acknowledgement status. */
  const applyFrame = (frame: BatchFrame, sender: string, decode: Decoder): number => {
    if (!frame.intact) {
      ctx.logger.warn('refused a batch whose checksum does not match', {
        from: sender,
        bytes: frame.entries.length,
      });
      return 400;
    }
    if (frame.epoch > ctx.cluster.epoch) {
      ctx.learnEpoch({ [HEADER_EPOCH]: String(frame.epoch), [HEADER_SENDER]: sender });
    }
    try {
      ctx.cluster.applyFromPeer(decode(frame.entries, MAX_ENTRIES), undefined);
      return 200;
    } catch (err) {
      const error = toApiError(err);
      if (error.status >= 500 && error.code !== 'SHUTTING_DOWN') {
        ctx.logger.error('stream apply failed', { from: sender, err });
      } else if (error.status < 500) {
        ctx.logger.warn('refused a stream batch', { from: sender, error: error.message });
      }
      return error.status;
    }
  };

  const serve = (socket: Socket, sender: string, head: Buffer, { decode, checksum }: Version): void => {
    const reader = new FrameReader(ctx.config.maxBatchSize * 4 + 64, checksum);
    const onData = (chunk: Buffer): void => {
      let frames: BatchFrame[];
      try {
        frames = reader.batches(chunk);
      } catch (err) {
        ctx.logger.warn('closed a replication stream with a broken frame', { from: sender, err });
        socket.destroy();
        return;
      }
      if (frames.length === 0) return;
      const acks = Buffer.allocUnsafe(frames.length * ACK_BYTES);
      frames.forEach((frame, i) => {
        const started = performance.now();
        const status = applyFrame(frame, sender, decode);
        ctx.metrics.observe('apply', status, (performance.now() - started) / 1000);
        encodeAck(frame.sequence, status, acks, i * ACK_BYTES);
      });
      socket.write(acks);
    };
    socket.on('data', onData);
    if (head.length > 0) onData(head);
  };

  return {
    upgrade(req, socket, head) {
      socket.on('error', () => {}); // the peer went away; it retries on a new stream
      try {
        if (req.url !== STREAM_PATH || versions.get(String(req.headers.upgrade)) === undefined) {
          throw new ApiError(
            404,
            'ROUTE_NOT_FOUND',
            `no upgrade to ${String(req.headers.upgrade)} on ${req.url}`,
          );
        }
        ctx.checkPeer(req.headers.authorization);
        if (ctx.draining()) throw new ApiError(503, 'SHUTTING_DOWN', 'the node is shutting down');
      } catch (err) {
        refuse(socket, toApiError(err));
        return;
      }
      ctx.learnEpoch(req.headers);
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.setNoDelay(true);
      const protocol = String(req.headers.upgrade);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${protocol}\r\n\r\n`);
      serve(socket, String(req.headers[HEADER_SENDER] ?? 'unknown'), head, versions.get(protocol) as Version);
    },
    close() {
      for (const socket of open) socket.end();
    },
  };
}
