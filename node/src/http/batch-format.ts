/**
 * The batch wire format, `application/vnd.ringcache.batch` (docs/http-api.md): a sequence of
 * frames, each
 *
 *     uint32 big-endian  header length H
 *     H bytes            header, a UTF-8 JSON object with at least "key"; "size" is the value's length
 *     size bytes         the value, raw (binary-safe: nothing is escaped)
 *
 * Used by a batch set's request and a batch get's response. Pure: encode and decode only.
 */
import { ApiError } from './errors.js';

export const BATCH_CONTENT_TYPE = 'application/vnd.ringcache.batch';
export const MAX_FRAME_HEADER_BYTES = 64 * 1024;

export interface FrameHeader {
  key: string;
  size: number;
  [field: string]: unknown;
}

export interface Frame {
  header: FrameHeader;
  value: Uint8Array;
}

export function encodeFrames(frames: readonly Frame[]): Buffer {
  const parts: Buffer[] = [];
  for (const { header, value } of frames) {
    const json = Buffer.from(JSON.stringify({ ...header, size: value.length }), 'utf8');
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(json.length, 0);
    parts.push(length, json, Buffer.from(value.buffer, value.byteOffset, value.length));
  }
  return Buffer.concat(parts);
}

const invalid = (message: string): ApiError => new ApiError(400, 'INVALID_BODY', message);

/** Decodes every frame or throws 400 INVALID_BODY naming the frame; never returns a partial batch. */
export function decodeFrames(body: Buffer, maxFrames: number): Frame[] {
  const frames: Frame[] = [];
  let offset = 0;
  while (offset < body.length) {
    const index = frames.length;
    if (index >= maxFrames) throw invalid(`batch holds more than ${maxFrames} entries`);
    if (offset + 4 > body.length) throw invalid(`frame ${index}: truncated header length`);
    const headerLength = body.readUInt32BE(offset);
    offset += 4;
    if (headerLength === 0 || headerLength > MAX_FRAME_HEADER_BYTES) {
      throw invalid(
        `frame ${index}: header length ${headerLength} is not within 1..${MAX_FRAME_HEADER_BYTES}`,
      );
    }
    if (offset + headerLength > body.length) throw invalid(`frame ${index}: truncated header`);
    const header = parseHeader(body.subarray(offset, offset + headerLength), index);
    offset += headerLength;
    if (offset + header.size > body.length) throw invalid(`frame ${index}: truncated value`);
    frames.push({ header, value: body.subarray(offset, offset + header.size) });
    offset += header.size;
  }
  return frames;
}

function parseHeader(bytes: Buffer, index: number): FrameHeader {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid(`frame ${index}: header is not UTF-8 JSON`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw invalid(`frame ${index}: header must be a JSON object`);
  }
  const { key, size } = header as Record<string, unknown>;
  if (typeof key !== 'string') throw invalid(`frame ${index}: "key" must be a string`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw invalid(`frame ${index}: "size" must be a non-negative integer`);
  }
  return header as FrameHeader;
}
