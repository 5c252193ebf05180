/** Key sequences for the throughput benchmark: zipfian (s = 0.99) and uniform over n keys. */
import { seededRandom } from '../simulate.js';

export type Distribution = 'zipfian' | 'uniform';

export const IMPLEMENTATIONS = ['ringcache-wtinylfu', 'ringcache-lru', 'lru-cache', 'node-cache'] as const;
export type Implementation = (typeof IMPLEMENTATIONS)[number];

export function keySequence(distribution: Distribution, keys: number, length: number, seed = 7): Int32Array {
  const random = seededRandom(seed);
  const out = new Int32Array(length);
  if (distribution === 'uniform') {
    for (let i = 0; i < length; i++) out[i] = Math.floor(random() * keys);
    return out;
  }
  const cdf = new Float64Array(keys);
  let sum = 0;
  for (let i = 0; i < keys; i++) cdf[i] = sum += 1 / Math.pow(i + 1, 0.99);
  for (let i = 0; i < keys; i++) cdf[i] /= sum;
  for (let i = 0; i < length; i++) {
    const u = random();
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    // Scatter ranks over the key space so popular keys are not also the first inserted.
    out[i] = (Math.imul(lo, 0x9e3779b1) >>> 0) % keys;
  }
  return out;
}
