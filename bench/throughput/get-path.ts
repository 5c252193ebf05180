/**
 * Where a get's time goes: the same 1M keys and uniform key sequence as the throughput
 * benchmark, timed step by step on our store (each step adds one thing to the one before)
 * and against lru-cache's get. Run by `npm run bench:throughput` after the main table, one
 * process per policy; prints one JSON line.
 *
 *   map        a plain Map<string, number> lookup of the same keys: the floor both caches share
 *   has        store.has: the index lookup and the expiry check in the slot's record
 *   slotOf     store.slotOf: the same, and the hit queued for the eviction policy (applied in batches)
 *   locate     slotOf + locate: the same, and where the value sits (page, offset, length), nothing allocated
 *   get        slotOf + valueOf: the same, and a view of the value's bytes in the slab
 */
import { LRUCache } from 'lru-cache';
import { Store } from '../../node/src/store/index.js';
import { keySequence } from './workload.js';

const KEYS = 1_000_000;
const OPS = 2_000_000;
const PASSES = 3;

export const STEPS = ['map', 'has', 'slotOf', 'locate', 'get'] as const;

/** Best of `PASSES` timings of `OPS` lookups along `sequence`, in ns per lookup. */
function time(names: string[], sequence: Int32Array, lookup: (key: string) => unknown): number {
  let best = Infinity;
  for (let pass = 0; pass < PASSES; pass++) {
    let found = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) if (lookup(names[sequence[i]]) !== undefined) found++;
    best = Math.min(best, Number(process.hrtime.bigint() - started) / OPS);
    if (found !== OPS) throw new Error(`${OPS - found} lookups missed; every key must be held`);
  }
  return best;
}

function main(): void {
  const subject = process.argv[2];
  const names = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
  const sequence = keySequence('uniform', KEYS, OPS);
  const value = () => Buffer.alloc(100, 7);
  if (subject === 'lru-cache') {
    const cache = new LRUCache<string, Buffer>({ max: KEYS * 2 });
    for (const name of names) cache.set(name, value());
    console.log(JSON.stringify({ subject, get: time(names, sequence, (k) => cache.get(k)) }));
    return;
  }
  if (subject !== 'lru' && subject !== 'wtinylfu') throw new Error(`unknown subject ${subject}`);
  const store = new Store({ maxMemory: 1 << 30, policy: subject, expectedEntries: KEYS });
  const map = new Map<string, number>();
  names.forEach((name, i) => {
    store.set(name, value());
    map.set(name, i);
  });
  const result = {
    subject,
    map: time(names, sequence, (k) => map.get(k)),
    has: time(names, sequence, (k) => (store.has(k) ? true : undefined)),
    slotOf: time(names, sequence, (k) => {
      const slot = store.slotOf(k);
      return slot < 0 ? undefined : slot;
    }),
    locate: time(names, sequence, (k) => {
      const slot = store.slotOf(k);
      return slot < 0 ? undefined : store.locate(slot);
    }),
    get: time(names, sequence, (k) => {
      const slot = store.slotOf(k);
      return slot < 0 ? undefined : store.valueOf(slot);
    }),
  };
  console.log(JSON.stringify(result));
}

main();
