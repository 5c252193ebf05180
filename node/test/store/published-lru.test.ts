/**
 * The byte-bounded LRU must reproduce libCacheSim's own expected miss counts and missed bytes
 * on cloudPhysicsIO (PUBLISHED.md §7): objects charged their size, capacities 128..1024 MiB.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readOracleGeneral } from '../../../bench/traces/oracle-general.js';
import { LruPolicy } from '../../src/store/policy/lru.js';

const traces = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/traces');
const trace = resolve(traces, 'cloudPhysicsIO.oracleGeneral.bin');

const MiB = 1 << 20;
const expected = [
  [128, 93374, 4214303232],
  [256, 89783, 4061242368],
  [384, 83572, 3778040320],
  [512, 81722, 3660569600],
  [640, 72494, 3100927488],
  [768, 72104, 3078128640],
  [896, 71972, 3075403776],
  [1024, 71704, 3061662720],
] as const;

function simulate(ids: Float64Array, sizes: Uint32Array, capacity: number) {
  const slotOf = new Map<number, number>();
  const idOfSlot: number[] = [];
  const free: number[] = [];
  const policy = new LruPolicy({
    capacity,
    onEvict: (slot) => {
      slotOf.delete(idOfSlot[slot]);
      free.push(slot);
    },
  });
  let misses = 0;
  let missedBytes = 0;
  let heaviest = 0;
  for (let i = 0; i < ids.length; i++) {
    const slot = slotOf.get(ids[i]);
    if (slot !== undefined) {
      policy.recordHit(slot);
      continue;
    }
    misses++;
    missedBytes += sizes[i];
    const fresh = free.length > 0 ? (free.pop() as number) : idOfSlot.length;
    idOfSlot[fresh] = ids[i];
    slotOf.set(ids[i], fresh);
    policy.add(fresh, 0, sizes[i]);
    heaviest = Math.max(heaviest, policy.weight);
  }
  expect(heaviest).toBeLessThanOrEqual(capacity);
  return { misses, missedBytes };
}

describe('byte-bounded LRU on cloudPhysicsIO (libCacheSim expected values)', () => {
  if (!existsSync(trace)) throw new Error(`trace not found: ${trace} (shared/ must sit beside the repo)`);
  const { ids, sizes } = readOracleGeneral(trace);

  it('reads all 113,872 requests', () => {
    expect(ids.length).toBe(113_872);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(4_368_040_448);
  });

  it.each(expected)('%i MiB: %i misses, %i missed bytes', (mib, misses, bytes) => {
    expect(simulate(ids, sizes, mib * MiB)).toEqual({ misses, missedBytes: bytes });
  });
});
