/**
 * Anti-entropy: replicas converge without traffic. Hints and read repair fix what they see;
 * a hint dropped at its bound, a node restarted empty or a partition longer than the hints
 * leave copies behind that only a comparison finds. Periodically each node compares, with
 * every member it shares keys with, a digest per range of the key space, and exchanges only
 * the entries of the ranges that differ (the newest version wins, as everywhere).
 *
 * Ranges are the top 8 bits of a key's placement hash (256 of them). A range's digest XORs two
 * independent 32-bit hashes of `key` and `version` over the entries both members should hold,
 * so it does not depend on the order entries are visited in, and any differing version, missing
 * entry or extra entry changes it (with odds of 2^-64 of hiding).
 *
 * Pure functions here; the exchange over HTTP is in AntiEntropy below.
 */
import { murmur3 } from '../ring/hash.js';

export const RANGES = 256;
export const rangeOf = (placementHash: number): number => placementHash >>> 24;

/** Two words per range; a fresh one is all zeroes (no entries). */
export const emptyDigests = (): Uint32Array => new Uint32Array(RANGES * 2);

export function addToDigests(digests: Uint32Array, range: number, key: string, version: number): void {
  const text = `${key}\u0000${version}`;
  digests[range * 2] ^= murmur3(text, 0x9747b28c);
  digests[range * 2 + 1] ^= murmur3(text, 0x5bd1e995);
}

/** Ranges whose digests differ. */
export function differingRanges(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  if (a.length !== RANGES * 2 || b.length !== RANGES * 2) {
    throw new RangeError(`digests must hold ${RANGES * 2} words, got ${a.length} and ${b.length}`);
  }
  const ranges: number[] = [];
  for (let r = 0; r < RANGES; r++) {
    if (a[r * 2] >>> 0 !== b[r * 2] >>> 0 || a[r * 2 + 1] >>> 0 !== b[r * 2 + 1] >>> 0) ranges.push(r);
  }
  return ranges;
}

export interface VersionComparison {
  /** Keys the other side lacks or holds older: send ours. */
  theyNeed: string[];
  /** Keys we lack or hold older: ask for theirs. */
  weNeed: string[];
}

/** Compares two lists of (key, version) of the same ranges. */
export function compareVersions(
  ours: ReadonlyMap<string, number>,
  theirs: Iterable<readonly [string, number]>,
): VersionComparison {
  const theyNeed: string[] = [];
  const weNeed: string[] = [];
  const seen = new Set<string>();
  for (const [key, version] of theirs) {
    seen.add(key);
    const mine = ours.get(key);
    if (mine === undefined || mine < version) weNeed.push(key);
    else if (mine > version) theyNeed.push(key);
  }
  for (const key of ours.keys()) if (!seen.has(key)) theyNeed.push(key);
  return { theyNeed, weNeed };
}

/** Parses the digests a peer sent: an array of RANGES * 2 unsigned 32-bit integers. */
export function parseDigests(value: unknown): Uint32Array {
  if (
    !Array.isArray(value) ||
    value.length !== RANGES * 2 ||
    !value.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)
  ) {
    throw new RangeError(`digests must be an array of ${RANGES * 2} unsigned 32-bit integers`);
  }
  return Uint32Array.from(value as number[]);
}

/** Parses `[[key, version], ...]` from a peer. */
export function parseVersions(value: unknown, limit: number): [string, number][] {
  if (!Array.isArray(value)) throw new RangeError('versions must be an array of [key, version]');
  if (value.length > limit)
    throw new RangeError(`at most ${limit} versions per request, got ${value.length}`);
  for (const pair of value) {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      !Number.isSafeInteger(pair[1]) ||
      pair[1] < 0
    ) {
      throw new RangeError('versions must be an array of [key, version]');
    }
  }
  return value as [string, number][];
}

export function parseRanges(value: unknown): number[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > RANGES ||
    !value.every((r) => Number.isInteger(r) && r >= 0 && r < RANGES)
  ) {
    throw new RangeError(`ranges must be a non-empty array of integers from 0 to ${RANGES - 1}`);
  }
  return value as number[];
}
