/**
 * An exact weighted LRU: one recency list; evicts from the least recent end until the
 * resident weight fits the capacity.
 */
import type { EvictionPolicy, EvictionSink, PolicyOptions } from './policy.js';
import { SlotLists } from './slot-list.js';

const LIST = 0;

export class LruPolicy implements EvictionPolicy {
  readonly name = 'lru' as const;
  readonly capacity: number;
  private readonly lists: SlotLists;
  private weights: Float64Array;
  private readonly onEvict: EvictionSink;
  private total = 0;

  constructor(options: PolicyOptions) {
    this.capacity = options.capacity;
    this.onEvict = options.onEvict;
    const initial = Math.min(Math.max(options.expectedEntries ?? 1024, 16), 1 << 20);
    this.lists = new SlotLists(1, initial);
    this.weights = new Float64Array(initial);
  }

  get weight(): number {
    return this.total;
  }

  /** All of an LRU cache is in recency order. */
  get windowShare(): number {
    return 1;
  }

  get size(): number {
    return this.lists.lengths[LIST];
  }

  recordMiss(): void {}

  recordHit(slot: number): void {
    // A slot that left (deleted, expired) is not linked back in.
    if (this.lists.ownerOf(slot) === LIST) this.lists.moveToTail(LIST, slot);
  }

  recordHits(slots: Int32Array, count: number): void {
    this.lists.touchAll(slots, count);
    // An update (~slot, same weight) moves like a hit: `s ^ (s >> 31)` is the slot either way.
    for (let i = 0; i < count; i++) this.recordHit(slots[i] ^ (slots[i] >> 31));
  }

  add(slot: number, _hash: number, weight: number): void {
    this.ensure(slot);
    this.lists.pushTail(LIST, slot);
    this.weights[slot] = weight;
    this.total += weight;
    this.evictOverflow();
  }

  update(slot: number, _hash: number, weight: number): void {
    this.total += weight - this.weights[slot];
    this.weights[slot] = weight;
    this.lists.moveToTail(LIST, slot);
    this.evictOverflow();
  }

  remove(slot: number): void {
    if (this.lists.ownerOf(slot) === -1) return;
    this.lists.unlink(slot);
    this.total -= this.weights[slot];
  }

  clear(): void {
    this.lists.clear();
    this.total = 0;
  }

  private evictOverflow(): void {
    while (this.total > this.capacity) {
      const victim = this.lists.head(LIST);
      this.lists.unlink(victim);
      this.total -= this.weights[victim];
      this.onEvict(victim);
    }
  }

  private ensure(slot: number): void {
    if (slot < this.weights.length) return;
    let n = this.weights.length * 2;
    while (n <= slot) n *= 2;
    const w = new Float64Array(n);
    w.set(this.weights);
    this.weights = w;
  }
}
