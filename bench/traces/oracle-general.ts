/**
 * libCacheSim's oracleGeneral binary format: little-endian 24-byte records
 * { u32 timestamp; u64 obj_id; u32 obj_size; i64 next_access_vtime }.
 * Ids are returned as numbers; ids above 2^53 are folded (hi * 2^32 + lo loses nothing
 * below that, and the traces here stay far under it).
 */
import { readFileSync } from 'node:fs';

export const ORACLE_RECORD_BYTES = 24;

export interface WeightedRequest {
  id: number;
  size: number;
}

export function readOracleGeneral(path: string): { ids: Float64Array; sizes: Uint32Array } {
  return parseOracleGeneral(readFileSync(path), path);
}

/** Parses the records of `buf` (the decompressed file named `name`). */
export function parseOracleGeneral(buf: Buffer, name: string): { ids: Float64Array; sizes: Uint32Array } {
  if (buf.length % ORACLE_RECORD_BYTES !== 0) {
    throw new Error(`${name}: ${buf.length} bytes is not a whole number of 24-byte oracleGeneral records`);
  }
  const n = buf.length / ORACLE_RECORD_BYTES;
  const ids = new Float64Array(n);
  const sizes = new Uint32Array(n);
  for (let i = 0, o = 0; i < n; i++, o += ORACLE_RECORD_BYTES) {
    ids[i] = buf.readUInt32LE(o + 8) * 2 ** 32 + buf.readUInt32LE(o + 4);
    sizes[i] = buf.readUInt32LE(o + 12);
  }
  return { ids, sizes };
}
