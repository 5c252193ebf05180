/** ringcache/client: the ring-aware client library. */
export { RingcacheClient } from './client.js';
export { RingcacheError } from './errors.js';
export type {
  CacheEntry,
  ClientOptions,
  Consistency,
  DeleteOptions,
  ReadOptions,
  SetOptions,
  SetResult,
} from './options.js';
