/**
 * The contract between the store and an eviction policy.
 *
 * A policy orders resident entries that the store names by integer slot (an index into the
 * store's typed arrays) and decides which to evict when their total weight exceeds its
 * capacity. It holds no keys and no values: only slots, 32-bit key hashes and weights, so the
 * same policy runs inside the store (weights in bytes) and inside the trace simulator
 * (weights of 1 per entry, or the object sizes of a weighted trace).
 *
 * Evictions are reported synchronously through the EvictionSink given to the constructor,
 * during `add` and `update`. The sink must not call back into the policy: the slot is already
 * unlinked when the sink sees it, and the store only frees its own side.
 */
export type EvictionPolicyName = 'lru' | 'wtinylfu';

export type EvictionSink = (slot: number) => void;

export interface EvictionPolicy {
  readonly name: EvictionPolicyName;
  /** The bound on the sum of resident weights. */
  readonly capacity: number;
  /** The sum of resident weights; never above `capacity` once a call returns. */
  readonly weight: number;
  /** Number of resident slots. */
  readonly size: number;
  /**
   * The share of capacity kept in plain recency order: W-TinyLFU's window, as its tuner has
   * adapted it to the workload; 1 for LRU, which is all recency.
   */
  readonly windowShare: number;
  /** A lookup of `hash` found nothing (frequency-aware policies count it). */
  recordMiss(hash: number): void;
  /** A lookup hit resident `slot` (a policy that needs the key's hash kept it from `add`). */
  recordHit(slot: number): void;
  /**
   * `count` hits in order, as recordHit would take them one by one (a batch is cheaper). An
   * entry `~slot` (negative) is an overwrite that kept the slot's weight: update(slot, its
   * hash, its weight), which for recency and frequency is a hit, and evicts nothing.
   */
  recordHits(slots: Int32Array, count: number): void;
  /**
   * Makes `slot` resident with `weight` (1 <= weight <= capacity) and evicts through the sink
   * until the total fits; the new slot itself may be the one evicted (admission refused).
   */
  add(slot: number, hash: number, weight: number): void;
  /** The value of resident `slot` was replaced: new weight, counted as an access; may evict. */
  update(slot: number, hash: number, weight: number): void;
  /** Removes resident `slot` without reporting it to the sink (delete, expiry). */
  remove(slot: number): void;
  /** Forgets every slot (the sink is not called). */
  clear(): void;
}

/** Options shared by the policy constructors. */
export interface PolicyOptions {
  /** The bound on the sum of weights (bytes in the store, entries in a count-bounded simulation). */
  capacity: number;
  /** Called for each evicted slot. */
  onEvict: EvictionSink;
  /**
   * A hint of how many entries the cache will hold; sizes the frequency sketch and the initial
   * typed arrays (they grow on demand). Defaults to `capacity` capped at 2^20.
   */
  expectedEntries?: number;
  /** Uniform [0, 1) source for randomized admission; injectable for deterministic tests. */
  random?: () => number;
}
