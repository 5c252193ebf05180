/**
 * The replication stream (docs/cluster.md): one upgraded connection per peer carries batches
 * one way and acknowledgements back, without an HTTP exchange per batch. Protocol 2's frames
 * are in duplex-frames.ts; these are protocol 1's, still accepted from older senders:
 *
 * batch: u32 length of the rest | u32 sequence | f64 sender's epoch | 32 bytes SHA-256 of the
 *        entries | the entries (entry-frames.ts)
 * ack:   u32 sequence | u32 status (200 applied; 400 refused, nothing applied; 503 not taken)
 *
 * All numbers little-endian. Pure encoding and decoding; the I/O is in replication-stream.ts
 * (sender) and http/stream-handler.ts (receiver).
 */
import { createHash } from 'node:crypto';

export const STREAM_PATH = '/v1/internal/stream';
/** What a sender asks for: entries in binary (stream-entries.ts), frames of duplex-frames.ts. */
export const STREAM_PROTOCOL = 'ringcache-replication-2';
/** Still accepted from older senders: entries as JSON-headed batch frames (entry-frames.ts). */
export const STREAM_PROTOCOL_V1 = 'ringcache-replication';
/** Protocol 2: the id the sender gives its stream, which acknowledgements name. */
export const HEADER_STREAM = 'x-ringcache-stream';
const BATCH_HEAD = 4 + 4 + 8 + 32;
export const ACK_BYTES = 8;

export interface BatchFrame {
  sequence: number;
  epoch: number;
  /** Whether the entries match the frame's checksum. */
  intact: boolean;
  entries: Buffer;
}

export function sha256(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}

export function encodeBatch(sequence: number, epoch: number, entries: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(BATCH_HEAD + entries.length);
  frame.writeUInt32LE(BATCH_HEAD - 4 + entries.length, 0);
  frame.writeUInt32LE(sequence, 4);
  frame.writeDoubleLE(epoch, 8);
  sha256(entries).copy(frame, 16);
  entries.copy(frame, BATCH_HEAD);
  return frame;
}

export function encodeAck(
  sequence: number,
  status: number,
  into = Buffer.allocUnsafe(ACK_BYTES),
  at = 0,
): Buffer {
  into.writeUInt32LE(sequence, at);
  into.writeUInt32LE(status, at + 4);
  return into;
}

/** Splits a byte stream into frames of `unit` (fixed size) or length-prefixed frames. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    /** Largest length-prefixed frame accepted: a longer one means a broken or hostile sender. */
    private readonly maxFrame: number,
  ) {}

  /** Appends `chunk`; returns the complete length-prefixed frames (the rest is kept). */
  batches(chunk: Buffer): BatchFrame[] {
    const data = this.append(chunk);
    const frames: BatchFrame[] = [];
    let at = 0;
    while (data.length - at >= 4) {
      const length = data.readUInt32LE(at);
      if (length < BATCH_HEAD - 4 || length > this.maxFrame) {
        throw new RangeError(`a stream frame of ${length} bytes is outside 44..${this.maxFrame}`);
      }
      if (data.length - at - 4 < length) break;
      const entries = data.subarray(at + BATCH_HEAD, at + 4 + length);
      frames.push({
        sequence: data.readUInt32LE(at + 4),
        epoch: data.readDoubleLE(at + 8),
        intact: sha256(entries).equals(data.subarray(at + 16, at + BATCH_HEAD)),
        entries,
      });
      at += 4 + length;
    }
    this.pending = data.subarray(at);
    return frames;
  }

  /** Appends `chunk`; returns the complete acknowledgements as [sequence, status] pairs. */
  acks(chunk: Buffer): [number, number][] {
    const data = this.append(chunk);
    const acks: [number, number][] = [];
    let at = 0;
    for (; data.length - at >= ACK_BYTES; at += ACK_BYTES) {
      acks.push([data.readUInt32LE(at), data.readUInt32LE(at + 4)]);
    }
    this.pending = data.subarray(at);
    return acks;
  }

  private append(chunk: Buffer): Buffer {
    return this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
  }
}
