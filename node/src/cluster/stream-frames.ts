/**
 * Frames of the replication stream (docs/cluster.md): one upgraded connection per peer
 * carries batches one way and acknowledgements the other, without an HTTP exchange per batch.
 *
 * batch: u32 length of the rest | u32 sequence | f64 sender's epoch | checksum of the entries |
 *        the entries. Protocol 2: u32 CRC-32 (checksum.ts), entries of stream-entries.ts;
 *        protocol 1: 32 bytes SHA-256, entries of entry-frames.ts.
 * ack:   u32 sequence | u32 status (200 applied; 400 refused, nothing applied; 503 not taken)
 *
 * All numbers little-endian. Pure encoding and decoding; the I/O is in replication-stream.ts
 * (sender) and http/stream-handler.ts (receiver).
 */
import { createHash } from 'node:crypto';
import { crc32 } from './checksum.js';

export const STREAM_PATH = '/v1/internal/stream';
/** What a sender asks for: entries in binary (stream-entries.ts). */
export const STREAM_PROTOCOL = 'ringcache-replication-2';
/** Still accepted from older senders: entries as JSON-headed batch frames (entry-frames.ts). */
export const STREAM_PROTOCOL_V1 = 'ringcache-replication';
export const ACK_BYTES = 8;

export interface BatchFrame {
  sequence: number;
  epoch: number;
  /** Whether the entries match the frame's checksum. */
  intact: boolean;
  entries: Buffer;
}

/** How a protocol version sums a batch's entries. */
export interface Checksum {
  bytes: number;
  write(entries: Buffer, into: Buffer, at: number): void;
  matches(entries: Buffer, frame: Buffer, at: number): boolean;
}

export const CRC32: Checksum = {
  bytes: 4,
  write: (entries, into, at) => void into.writeUInt32LE(crc32(entries), at),
  matches: (entries, frame, at) => crc32(entries) === frame.readUInt32LE(at),
};

export function sha256(body: Uint8Array): Buffer {
  return createHash('sha256').update(body).digest();
}

/** Protocol 1's, kept for the senders that still speak it. */
export const SHA256: Checksum = {
  bytes: 32,
  write: (entries, into, at) => void sha256(entries).copy(into, at),
  matches: (entries, frame, at) => sha256(entries).equals(frame.subarray(at, at + 32)),
};

const headOf = (checksum: Checksum) => 4 + 4 + 8 + checksum.bytes;

export function encodeBatch(sequence: number, epoch: number, entries: Buffer, checksum = CRC32): Buffer {
  const head = headOf(checksum);
  const frame = Buffer.allocUnsafe(head + entries.length);
  frame.writeUInt32LE(head - 4 + entries.length, 0);
  frame.writeUInt32LE(sequence, 4);
  frame.writeDoubleLE(epoch, 8);
  checksum.write(entries, frame, 16);
  entries.copy(frame, head);
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

  private readonly head: number;

  constructor(
    /** Largest length-prefixed frame accepted: a longer one means a broken or hostile sender. */
    private readonly maxFrame: number,
    private readonly checksum = CRC32,
  ) {
    this.head = headOf(checksum);
  }

  /** Appends `chunk`; returns the complete length-prefixed frames (the rest is kept). */
  batches(chunk: Buffer): BatchFrame[] {
    const data = this.append(chunk);
    const frames: BatchFrame[] = [];
    let at = 0;
    while (data.length - at >= 4) {
      const length = data.readUInt32LE(at);
      if (length < this.head - 4 || length > this.maxFrame) {
        throw new RangeError(
          `a stream frame of ${length} bytes is outside ${this.head - 4}..${this.maxFrame}`,
        );
      }
      if (data.length - at - 4 < length) break;
      const entries = data.subarray(at + this.head, at + 4 + length);
      frames.push({
        sequence: data.readUInt32LE(at + 4),
        epoch: data.readDoubleLE(at + 8),
        intact: this.checksum.matches(entries, data, at + 16),
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
