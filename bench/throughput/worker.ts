/**
 * One implementation, one distribution, in a process of its own (so heaps do not mix):
 * fill 1M keys with 100-byte values, measure resident bytes per entry, then time gets and
 * overwriting sets along the key sequence. Prints one JSON line.
 */
import { LRUCache } from 'lru-cache';
import NodeCache from 'node-cache';
import { Store } from '../../node/src/store/index.js';
import { keySequence, type Distribution, type Implementation } from './workload.js';

interface Cache {
  set(key: string, value: Buffer): void;
  /** The value, in the cheapest form the implementation gives: for ours, its place in the slab. */
  get(key: string): unknown;
  /** Ours only: the value as a Uint8Array view (one allocated per get). */
  getView?(key: string): Uint8Array | undefined;
}

const KEYS = 1_000_000;
const OPS = 2_000_000;
const VALUE_BYTES = 100;

function make(impl: Implementation): Cache {
  switch (impl) {
    case 'ringcache-wtinylfu':
    case 'ringcache-lru': {
      const store = new Store({
        maxMemory: 1 << 30,
        policy: impl === 'ringcache-lru' ? 'lru' : 'wtinylfu',
        expectedEntries: KEYS,
      });
      return {
        set: (k, v) => store.set(k, v),
        get: (k) => {
          const slot = store.slotOf(k);
          return slot < 0 ? undefined : store.locate(slot);
        },
        getView: (k) => {
          const slot = store.slotOf(k);
          return slot < 0 ? undefined : store.valueOf(slot);
        },
      };
    }
    case 'lru-cache': {
      const cache = new LRUCache<string, Buffer>({ max: KEYS * 2 });
      return { set: (k, v) => void cache.set(k, v), get: (k) => cache.get(k) };
    }
    case 'node-cache': {
      const cache = new NodeCache({ useClones: false, checkperiod: 0, stdTTL: 0 });
      return { set: (k, v) => void cache.set(k, v), get: (k) => cache.get<Buffer>(k) };
    }
  }
}

function gcAndRss(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}

function main(): void {
  const impl = process.argv[2] as Implementation;
  const distribution = process.argv[3] as Distribution;
  const names = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
  const sequence = keySequence(distribution, KEYS, OPS);
  const template = Buffer.alloc(VALUE_BYTES, 7);
  // Each set hands over a fresh buffer, as a server does with a request body.
  const fresh = () => Buffer.from(template);
  const baseline = gcAndRss();
  const cache = make(impl);
  for (let i = 0; i < KEYS; i++) cache.set(names[i], fresh());
  const bytesPerEntry = (gcAndRss() - baseline) / KEYS;

  const timeGets = (get: (key: string) => unknown): number => {
    let found = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) if (get(names[sequence[i]]) !== undefined) found++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (found !== OPS) throw new Error(`${impl}: ${OPS - found} gets missed; the cache must hold every key`);
    return seconds;
  };
  const getSeconds = timeGets(cache.get);
  const viewGetSeconds = cache.getView === undefined ? undefined : timeGets(cache.getView);

  const started = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) cache.set(names[sequence[i]], fresh());
  const setSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  console.log(
    JSON.stringify({
      impl,
      distribution,
      getsPerSecond: OPS / getSeconds,
      viewGetsPerSecond: viewGetSeconds === undefined ? undefined : OPS / viewGetSeconds,
      setsPerSecond: OPS / setSeconds,
      bytesPerEntry,
    }),
  );
}

main();
