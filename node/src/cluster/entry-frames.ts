/**
 * Replica entries on the wire between nodes: the batch frame format of the public API
 * (http/batch-format.ts) with the metadata a replica needs in each header — version, absolute
 * expiry, content type, tombstone. One codec for replication, hints, repair and rebalancing.
 */
import { decodeFrames, encodeFrames, type Frame } from '../http/batch-format.js';
import { ApiError } from '../http/errors.js';
import type { ReplicaEntry } from './replica.js';

export const ENTRIES_CONTENT_TYPE = 'application/vnd.ringcache.entries';

export function encodeEntries(entries: readonly ReplicaEntry[]): Buffer {
  return encodeFrames(
    entries.map((e): Frame => ({
      header: {
        key: e.key,
        size: e.value.length,
        version: e.version,
        expiresAt: e.expiresAt,
        contentType: e.contentType,
        tombstone: e.tombstone,
      },
      value: e.value,
    })),
  );
}

export function decodeEntries(body: Buffer, maxEntries: number): ReplicaEntry[] {
  return decodeFrames(body, maxEntries).map(({ header, value }, i) => {
    const { key, version, expiresAt, contentType, tombstone } = header;
    const integer = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
    if (
      !integer(version) ||
      !integer(expiresAt) ||
      typeof contentType !== 'string' ||
      typeof tombstone !== 'boolean'
    ) {
      throw new ApiError(
        400,
        'INVALID_BODY',
        `entry ${i}: needs version, expiresAt, contentType and tombstone`,
      );
    }
    return {
      key,
      version: version as number,
      expiresAt: expiresAt as number,
      contentType,
      tombstone,
      value: Buffer.from(value),
    };
  });
}
