/**
 * Replays a trace through an eviction policy the way a demand-filled cache sees it: every
 * request is a lookup; a miss inserts the key (entries weigh 1, or their size on a weighted
 * trace). Uses the store's own policy classes, so the figures are the product's.
 */
import { createPolicy } from '../node/src/store/policy/index.js';
import { ReadBuffer } from '../node/src/store/read-buffer.js';
import type { EvictionPolicyName } from '../node/src/store/policy/policy.js';
import type { Trace } from './traces/read.js';

export interface SimulationResult {
  requests: number;
  hits: number;
  hitRatio: number;
  missedBytes: number;
}

/** A deterministic uniform source, so every run of a row gives the same figure. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A 32-bit hash of a numeric key below 2^53 (both halves mixed). */
export function hashNumber(key: number): number {
  const lo = key >>> 0;
  const hi = Math.floor(key / 2 ** 32) >>> 0;
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

export function simulate(
  trace: Trace,
  capacity: number,
  policyName: EvictionPolicyName,
  options: { seed?: number; onProgress?: (done: number) => void } = {},
): SimulationResult {
  const { keys, sizes } = trace;
  const slotOf = new Map<number, number>();
  const keyOfSlot: number[] = [];
  const free: number[] = [];
  const policy = createPolicy(policyName, {
    capacity,
    // Sizes the typed arrays only: no decision of a policy depends on it (as in the store).
    expectedEntries: sizes === undefined ? capacity : Math.min(1 << 20, Math.ceil(capacity / 4096)),
    random: seededRandom(options.seed ?? 42),
    onEvict: (slot) => {
      slotOf.delete(keyOfSlot[slot]);
      free.push(slot);
    },
  });
  // Hits go through a read buffer drained before every miss, as the store takes them, so the
  // figures are the store's: the batched path (recordHits) is the one measured.
  const reads = new ReadBuffer((slots, count) => policy.recordHits(slots, count));
  let hits = 0;
  let missedBytes = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const hash = hashNumber(key);
    const slot = slotOf.get(key);
    if (slot !== undefined) {
      hits++;
      reads.record(slot);
    } else {
      reads.drain();
      policy.recordMiss(hash);
      const weight = sizes === undefined ? 1 : sizes[i];
      missedBytes += weight;
      if (weight <= capacity) {
        const fresh = free.length > 0 ? (free.pop() as number) : keyOfSlot.length;
        keyOfSlot[fresh] = key;
        slotOf.set(key, fresh);
        policy.add(fresh, hash, weight);
      }
    }
    if (options.onProgress !== undefined && (i & 0xfffff) === 0) options.onProgress(i);
  }
  reads.drain();
  return { requests: keys.length, hits, hitRatio: (100 * hits) / keys.length, missedBytes };
}
