/**
 * Frames of replication-stream protocol 2 (docs/cluster.md). Every protocol 2 connection may
 * carry both kinds in either direction, so a node that receives a batch from a peer can send
 * the acknowledgement on its own stream to that peer, in the same socket write as its own
 * next batch there (ack-relay.ts): one write and one wake-up instead of two.
 *
 *   frame: u32 length of the rest | u8 kind | body
 *   batch (kind 1): u32 sequence | f64 sender's epoch | u32 CRC-32 of the entries | entries
 *                   (stream-entries.ts)
 *   acks (kind 2):  one or more of u32 stream id | u32 sequence | u32 status
 *                   (200 applied; 400 refused, nothing applied; 503 not taken)
 *
 * A stream id names the sender's connection (its upgrade request's X-Ringcache-Stream), so an
 * acknowledgement that arrives on another connection still settles only that connection's
 * batch. All numbers little-endian. Pure encoding and decoding.
 */
import { crc32 } from './checksum.js';
import type { BatchFrame } from './stream-frames.js';

export const KIND_BATCH = 1;
export const KIND_ACKS = 2;
const HEAD = 4 + 1;
const BATCH_HEAD = HEAD + 4 + 8 + 4;
export const ACK_BYTES = 12;

export interface Ack {
  stream: number;
  sequence: number;
  status: number;
}

/** The bytes `encodeFrames` writes for these acks and entries. */
export const framesLength = (acks: number, entries: Buffer | undefined): number =>
  (acks > 0 ? HEAD + acks * ACK_BYTES : 0) + (entries === undefined ? 0 : BATCH_HEAD + entries.length);

/** An acks frame (when there are acks) followed by a batch frame (when there are entries), in one buffer. */
export function encodeFrames(
  acks: readonly Ack[],
  batch?: { sequence: number; epoch: number; entries: Buffer },
): Buffer {
  const out = Buffer.allocUnsafe(framesLength(acks.length, batch?.entries));
  let at = 0;
  if (acks.length > 0) {
    out.writeUInt32LE(1 + acks.length * ACK_BYTES, 0);
    out[4] = KIND_ACKS;
    at = HEAD;
    for (const ack of acks) {
      out.writeUInt32LE(ack.stream, at);
      out.writeUInt32LE(ack.sequence, at + 4);
      out.writeUInt32LE(ack.status, at + 8);
      at += ACK_BYTES;
    }
  }
  if (batch !== undefined) {
    out.writeUInt32LE(BATCH_HEAD - 4 + batch.entries.length, at);
    out[at + 4] = KIND_BATCH;
    out.writeUInt32LE(batch.sequence, at + 5);
    out.writeDoubleLE(batch.epoch, at + 9);
    out.writeUInt32LE(crc32(batch.entries), at + 17);
    batch.entries.copy(out, at + BATCH_HEAD);
  }
  return out;
}

export interface Frames {
  batches: BatchFrame[];
  acks: Ack[];
}

/** Splits a protocol 2 byte stream into frames; keeps an incomplete one for the next chunk. */
export class DuplexReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    /** Largest frame accepted: a longer one means a broken or hostile sender. */
    private readonly maxFrame: number,
  ) {}

  /** Appends `chunk`; the complete frames. Throws RangeError on a frame that cannot be sound. */
  read(chunk: Buffer): Frames {
    const data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frames = { batches: [], acks: [] };
    let at = 0;
    while (data.length - at >= HEAD) {
      const length = data.readUInt32LE(at);
      const kind = data[at + 4];
      const sound =
        kind === KIND_BATCH
          ? length >= BATCH_HEAD - 4 && length <= this.maxFrame
          : kind === KIND_ACKS && length > 1 && (length - 1) % ACK_BYTES === 0 && length <= this.maxFrame;
      if (!sound) {
        throw new RangeError(`a stream frame of kind ${kind} and ${length} bytes cannot be read`);
      }
      if (data.length - at - 4 < length) break;
      const end = at + 4 + length;
      if (kind === KIND_BATCH) {
        const entries = data.subarray(at + BATCH_HEAD, end);
        frames.batches.push({
          sequence: data.readUInt32LE(at + 5),
          epoch: data.readDoubleLE(at + 9),
          intact: crc32(entries) === data.readUInt32LE(at + 17),
          entries,
        });
      } else {
        for (let a = at + HEAD; a < end; a += ACK_BYTES) {
          frames.acks.push({
            stream: data.readUInt32LE(a),
            sequence: data.readUInt32LE(a + 4),
            status: data.readUInt32LE(a + 8),
          });
        }
      }
      at = end;
    }
    this.pending = data.subarray(at);
    return frames;
  }
}
