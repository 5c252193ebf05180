/**
 * The implementations bench:throughput compares, behind one interface: our store (each policy),
 * lru-cache 11 and node-cache 5, each sized to hold every key of the workload.
 */
import { LRUCache } from 'lru-cache';
import NodeCache from 'node-cache';
import { Store } from '../../node/src/store/index.js';
import type { Implementation } from './workload.js';

export const KEYS = 1_000_000;

export interface Cache {
  set(key: string, value: Buffer): void;
  /** The value, in the cheapest form the implementation gives: for ours, its place in the slab. */
  get(key: string): unknown;
  /** Ours only: the value as a Uint8Array view (one allocated per get). */
  getView?(key: string): Uint8Array | undefined;
}

export function makeCache(impl: Implementation): Cache {
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
