/**
 * Entries inside a replication-stream batch (protocol `ringcache-replication-2`, stream-frames.ts)
 * and in the body of an apply (`ENTRIES_BINARY_CONTENT_TYPE`: hand-off, hints, repair):
 * fixed binary fields instead of the JSON header of entry-frames.ts, which cost a
 * JSON.stringify on the sender and a UTF-8 decode plus JSON.parse on the receiver for every
 * entry (bench:cluster, CPU per write and rebalance).
 *
 *   u8 flags (1 = tombstone) | u16 key length | key (UTF-8) | f64 version | f64 expiresAt |
 *   u16 content-type length | content type (UTF-8) | u32 value length | value
 *
 * Little-endian, entries back to back. Pure encoding and decoding.
 */
import { ApiError } from '../http/errors.js';
import type { ReplicaEntry } from './replica.js';

/** The content type of an apply whose body is these entries (the JSON-headed one: entry-frames.ts). */
export const ENTRIES_BINARY_CONTENT_TYPE = 'application/vnd.ringcache.entries-binary';

const FIXED = 1 + 2 + 8 + 8 + 2 + 4;
const TOMBSTONE = 1;

export function encodeStreamEntries(entries: readonly ReplicaEntry[]): Buffer {
  let size = 0;
  for (const e of entries) size += encodedSize(e);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const e of entries) at = writeEntry(e, out, at);
  return out;
}

function encodedSize(e: ReplicaEntry): number {
  return FIXED + Buffer.byteLength(e.key) + Buffer.byteLength(e.contentType) + e.value.length;
}

/** Writes `e` at `at` (the room was measured by encodedSize); where the next entry goes. */
function writeEntry(e: ReplicaEntry, out: Buffer, at: number): number {
  out[at] = e.tombstone ? TOMBSTONE : 0;
  const keyLength = out.write(e.key, at + 3, 'utf8');
  out.writeUInt16LE(keyLength, at + 1);
  at += 3 + keyLength;
  out.writeDoubleLE(e.version, at);
  out.writeDoubleLE(e.expiresAt, at + 8);
  const typeLength = out.write(e.contentType, at + 18, 'utf8');
  out.writeUInt16LE(typeLength, at + 16);
  at += 18 + typeLength;
  out.writeUInt32LE(e.value.length, at);
  out.set(e.value, at + 4);
  return at + 4 + e.value.length;
}

/**
 * A batch encoded as its entries are added: each value is copied once, into the batch, when
 * it is added, so a caller may pass a view of the store's bytes that the next write reuses
 * (hand-off, drain and anti-entropy stream whole stores this way; bench:cluster, rebalance).
 */
export class EncodedEntries {
  private buffer: Buffer;
  private length = 0;
  private readonly expectedBytes: number;
  /** Entries added. */
  count = 0;

  /** `expectedBytes`: what a full batch reaches; the buffer doubles up to it, then beyond if it must. */
  constructor(initialBytes = 64 * 1024, expectedBytes = Infinity) {
    this.buffer = Buffer.allocUnsafe(Math.min(initialBytes, expectedBytes));
    this.expectedBytes = expectedBytes;
  }

  /** Appends `entry`; the bytes it took. */
  add(entry: ReplicaEntry): number {
    const size = encodedSize(entry);
    if (this.length + size > this.buffer.length) {
      // Doubling: the copies add up to less than the final size.
      const room = this.buffer.length;
      const doubled = room < this.expectedBytes ? Math.min(room * 2, this.expectedBytes) : room * 2;
      const grown = Buffer.allocUnsafe(Math.max(doubled, this.length + size));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length = writeEntry(entry, this.buffer, this.length);
    this.count++;
    return size;
  }

  /** The encoded entries (ENTRIES_BINARY_CONTENT_TYPE). */
  get body(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  /** The entries again, values viewing the batch's own bytes (for hints when it fails). */
  entries(): ReplicaEntry[] {
    return decodeStreamEntries(this.body, this.count);
  }
}

const invalid = (index: number, what: string): ApiError =>
  new ApiError(400, 'INVALID_BODY', `entry ${index}: ${what}`);

/**
 * Decodes every entry or throws 400 INVALID_BODY naming the entry; never a partial batch.
 * Values are views into `body`: the store copies what it keeps.
 */
export function decodeStreamEntries(body: Buffer, maxEntries: number): ReplicaEntry[] {
  const entries: ReplicaEntry[] = [];
  let at = 0;
  while (at < body.length) {
    const i = entries.length;
    if (i >= maxEntries)
      throw new ApiError(400, 'INVALID_BODY', `batch holds more than ${maxEntries} entries`);
    if (body.length - at < FIXED) throw invalid(i, 'truncated');
    const flags = body[at];
    if (flags > TOMBSTONE) throw invalid(i, `unknown flags ${flags}`);
    const keyLength = body.readUInt16LE(at + 1);
    if (body.length - at < FIXED + keyLength) throw invalid(i, 'truncated key');
    const key = body.toString('utf8', at + 3, at + 3 + keyLength);
    at += 3 + keyLength;
    const version = body.readDoubleLE(at);
    const expiresAt = body.readDoubleLE(at + 8);
    if (!wholeNumber(version) || !wholeNumber(expiresAt)) {
      throw invalid(i, 'version and expiresAt must be non-negative integers');
    }
    const typeLength = body.readUInt16LE(at + 16);
    if (body.length - at < FIXED - 3 + typeLength) throw invalid(i, 'truncated content type');
    const contentType = body.toString('utf8', at + 18, at + 18 + typeLength);
    at += 18 + typeLength;
    const valueLength = body.readUInt32LE(at);
    if (body.length - at - 4 < valueLength) throw invalid(i, 'truncated value');
    const value = body.subarray(at + 4, at + 4 + valueLength);
    at += 4 + valueLength;
    entries.push({ key, version, expiresAt, contentType, value, tombstone: flags === TOMBSTONE });
  }
  return entries;
}

function wholeNumber(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
