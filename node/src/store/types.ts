/**
 * The public shape of the store (node/src/store/store.ts implements it).
 *
 * Keys are strings; values are bytes with a content type and metadata (version, absolute
 * expiry). Every call is synchronous. The hot path reads through slots: `slotOf(key)` returns
 * a slot index valid until the next mutating call, and the `*Of(slot)` accessors read it
 * without allocating an entry object.
 */
import type { EvictionPolicyName } from './policy/policy.js';
import type { HybridLogicalClock } from './hlc.js';

export type { EvictionPolicyName };

export interface StoreOptions {
  /**
   * The bound on counted bytes: for every entry, its key's UTF-8 bytes + the size of the slab
   * chunk that holds its value (the value's bytes rounded up to the chunk size class, what the
   * slab really spends; docs/store.md) + ENTRY_OVERHEAD_BYTES (the measured per-entry cost of
   * the store's own structures).
   * Required; a positive safe integer. The bound is never exceeded.
   */
  maxMemory: number;
  /** Largest value accepted, in bytes. Default 1 MiB (1048576). */
  maxValueBytes?: number;
  /** Largest key accepted, in UTF-8 bytes. Default 250. */
  maxKeyBytes?: number;
  /** Eviction policy. Default 'wtinylfu'. */
  policy?: EvictionPolicyName;
  /** The clock, in milliseconds since the epoch. Default Date.now. */
  now?: () => number;
  /** Uniform [0, 1) random source (admission jitter). Default Math.random. */
  random?: () => number;
  /** Sizing hint for the typed arrays (entries); no eviction decision depends on it. */
  expectedEntries?: number;
  /**
   * Called for each entry dropped because its TTL ended (by the sweep, a lookup or a write
   * over it), before it is gone: a replica remembers the version that expired. Default none.
   */
  onExpire?: (key: string, version: number, expiresAt: number) => void;
}

export interface SetOptions {
  /** MIME type kept with the value. Default 'application/octet-stream'. */
  contentType?: string;
  /** Time to live in ms from now (positive integer). Mutually exclusive with expiresAt. */
  ttlMs?: number;
  /** Absolute expiry in ms since the epoch; 0 means never. */
  expiresAt?: number;
  /** Version to store (replication supplies its own); default: the store's next HLC version. */
  version?: number;
}

export type SetOutcome = 'created' | 'replaced';

/** A copy-free view of one entry; `value` aliases store memory and is valid until the next mutation. */
export interface EntryView {
  value: Uint8Array;
  contentType: string;
  version: number;
  /** Absolute expiry in ms since the epoch; 0 means never. */
  expiresAt: number;
}

/** Where a value's bytes sit: `bytes[offset, offset + length)` (see CacheStore#locate). */
export interface ValueLocation {
  bytes: Uint8Array;
  offset: number;
  length: number;
}

export interface StoreStats {
  hits: number;
  misses: number;
  evictions: number;
  expirations: number;
  /** Counted bytes now resident (<= maxMemory). */
  bytes: number;
  /** Entries now resident. */
  keys: number;
  maxMemory: number;
  /** The policy's window share (EvictionPolicy.windowShare): W-TinyLFU's adapted window, 1 for LRU. */
  windowShare: number;
}

export type StoreErrorCode =
  'INVALID_OPTION' | 'VALUE_TOO_LARGE' | 'KEY_TOO_LONG' | 'INVALID_KEY' | 'INVALID_TTL';

/** Every error the store throws; `code` is stable and maps onto the HTTP API's error codes. */
export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}

export interface CacheStore {
  /** The clock versions come from: a writer that needs its version takes it here and passes it to set. */
  readonly clock: HybridLogicalClock;
  /** Returns the slot of a live entry (counts a hit) or -1 (counts a miss). */
  slotOf(key: string): number;
  /** A view of the value's bytes (aliases store memory; valid until the next mutation). */
  valueOf(slot: number): Uint8Array;
  /** The value's bytes in place, in one object reused by every call: no copy, no allocation. */
  locate(slot: number): Readonly<ValueLocation>;
  contentTypeOf(slot: number): string;
  versionOf(slot: number): number;
  expiresAtOf(slot: number): number;
  /** Reads without counting a hit or a miss and without touching the policy. */
  peek(key: string): EntryView | undefined;
  /** The version of a live entry, or undefined; like peek, it counts nothing. */
  peekVersion(key: string): number | undefined;
  get(key: string): EntryView | undefined;
  has(key: string): boolean;
  /** Stores a copy of `value`. Throws StoreError for a bad key, value or TTL and changes nothing then. */
  set(key: string, value: Uint8Array, options?: SetOptions): SetOutcome;
  delete(key: string): boolean;
  /** Removes every expired entry whose time has come; returns how many. Cost follows the expired count. */
  expire(): number;
  /** Drops `key` now if its TTL has ended (onExpire is told); true when it did. */
  expireKey(key: string): boolean;
  clear(): void;
  /** Live keys (for rebalancing and anti-entropy); skips expired entries. */
  keys(): IterableIterator<string>;
  readonly size: number;
  readonly bytes: number;
  stats(): StoreStats;
}
