/**
 * W-TinyLFU (Einziger, Friedman & Manes), weighted, as Caffeine builds it:
 *
 *   new entries -> [ window LRU ] -> candidates -> admission (TinyLFU) -> [ probation | protected ]
 *
 * A small window LRU absorbs bursts of new keys. An entry pushed out of the window becomes a
 * candidate for the main region (a segmented LRU: probation, and protected at 80% of main); it
 * gets in only if the frequency sketch says it is more popular than the probation victim it
 * would replace (with a 1/128 chance of admission for candidates of frequency >= 6, so an
 * attacker cannot pin a victim by flooding collisions). Every region is sized in weight units.
 *
 * The window's share is not fixed: a WindowTuner (window-tuner.ts) runs sampled miniature
 * caches with other shares beside this one and moves the window to the share that is hitting
 * best, so the policy follows workloads that shift between recency and frequency.
 */
import type { EvictionPolicy, EvictionSink, PolicyOptions } from './policy.js';
import { FrequencySketch, MIN_ENTRIES } from './sketch.js';
import { SlotLists, STAMP_LIMIT } from './slot-list.js';
import { WindowTuner } from './window-tuner.js';

const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
const NONE = -1;

export const PROTECTED_SHARE = 0.8;
export const INITIAL_WINDOW_SHARE = 0.01;
/** A candidate at least this frequent may be admitted at random (hash-flooding defence). */
export const RANDOM_ADMISSION_THRESHOLD = 6;
export const RANDOM_ADMISSION_CHANCE = 1 / 128;
/** The projection is capped at this many entries (32 MiB); past it the sketch follows the resident count. */
const MAX_PROJECTED_ENTRIES = 1 << 22;
/** Entries resident before their mean weight is trusted for the projection. */
const PROJECTION_SAMPLE = 64;

export interface WTinyLfuOptions extends PolicyOptions {
  /** Starting share of capacity for the window, 0..1. Default 1%. */
  windowShare?: number;
  /** Adapt the window with miniature simulations. Default true. */
  adaptive?: boolean;
}

export class WTinyLfuPolicy implements EvictionPolicy {
  readonly name = 'wtinylfu' as const;
  /** The bound on resident weight; fixed, except for the window tuner's shadows (see resize). */
  private bound: number;
  readonly sketch: FrequencySketch;
  private readonly lists: SlotLists;
  private weights: Float64Array;
  private readonly onEvict: EvictionSink;
  private readonly random: () => number;
  private readonly tuner: WindowTuner | undefined;
  private windowWeight = 0;
  private protectedWeight = 0;
  private total = 0;
  private maxWindow = 0;
  private maxProtected = 0;
  private share = 0;
  /** The stamp of the latest sketch epoch a batch saw (see recordHits); 0 before the first. */
  private saturatedStamp = 0;

  constructor(options: WTinyLfuOptions) {
    this.bound = options.capacity;
    this.onEvict = options.onEvict;
    this.random = options.random ?? Math.random;
    const expected = Math.max(16, Math.min(options.expectedEntries ?? options.capacity, 1 << 20));
    // The sketch is sized for the entries the cache will hold when full (capacity / mean entry
    // weight, exact for unit weights), projected from those it holds (see add), never from the
    // hint: its size sets how fast it ages, and a hint is only a guess (the store's default is
    // 1024 whatever the cache holds). The hint sizes the typed arrays alone: no decision uses it.
    this.sketch = new FrequencySketch(MIN_ENTRIES);
    this.lists = new SlotLists(3, Math.min(expected, 1 << 16));
    this.weights = new Float64Array(this.lists.slotCapacity);
    this.setWindowShare(options.windowShare ?? INITIAL_WINDOW_SHARE);
    this.tuner =
      options.adaptive === false
        ? undefined
        : new WindowTuner({
            capacity: this.bound,
            random: this.random,
            onChoice: (share) => this.setWindowShare(share),
            makeShadow: (capacity, onEvict, windowShare) =>
              new WTinyLfuPolicy({
                capacity,
                onEvict,
                windowShare,
                expectedEntries: MIN_ENTRIES, // a shadow's arrays grow as it fills
                adaptive: false,
                random: this.random,
              }),
          });
  }

  get capacity(): number {
    return this.bound;
  }

  get weight(): number {
    return this.total;
  }

  get size(): number {
    const l = this.lists.lengths;
    return l[WINDOW] + l[PROBATION] + l[PROTECTED];
  }

  /** Which region holds `slot` (undefined when it is not resident): for tests and inspection. */
  regionOf(slot: number): 'window' | 'probation' | 'protected' | undefined {
    return (['window', 'probation', 'protected'] as const)[this.lists.ownerOf(slot)];
  }

  /** The window's current share of capacity. */
  get windowShare(): number {
    return this.share;
  }

  /**
   * Resizes the window. Protected shrinks at once, its least recent entries demoted to
   * probation (as Caffeine does when the window grows): left over its bound, it would keep
   * entries nobody reads, since probation, drained by the larger window, never holds an entry
   * long enough for a hit to demote them. A window that grows takes main's entries up to its
   * growth at once, as Caffeine's does (see transferToWindow); one that shrinks settles on the
   * next insert.
   */
  setWindowShare(share: number): void {
    const before = this.maxWindow;
    this.share = Math.min(1, Math.max(0, share));
    this.maxWindow = Math.floor(this.bound * this.share);
    this.maxProtected = Math.floor((this.bound - this.maxWindow) * PROTECTED_SHARE);
    this.demoteProtectedOverflow();
    if (this.maxWindow > before) this.transferToWindow(this.maxWindow - before);
  }

  /**
   * Moves main entries, up to `growth` and the window's room, into the window. Left in main,
   * they are evicted before any window entry however recently read (a probation hit promotes
   * into a protected region with no room), so a window grown to the whole capacity was not LRU
   * until main ran empty, and its last, hottest entries went first: on scarab-recs at 100,000
   * entries, after the jump to LRU, up to 16 pp under LRU over 7% of the trace. Caffeine moves
   * probation's least recent entries to the window's most recent end; here the most recent of
   * main go to the window's least recent end, one by one so their order holds: the window's
   * own entries arrived after them, and a read makes any of them the most recent (bench:store:
   * both ways gained scarab-recs 100,000 0.9 pp; Caffeine's way lost scarab-recs 75,000 0.1
   * pp, the 60th row met, this way kept it, at the line).
   */
  private transferToWindow(growth: number): void {
    let quota = Math.min(growth, this.maxWindow - this.windowWeight);
    for (;;) {
      let slot = this.lists.tailOf(PROBATION);
      if (slot === NONE || this.weights[slot] > quota) slot = this.lists.tailOf(PROTECTED);
      if (slot === NONE || this.weights[slot] > quota) return;
      const weight = this.weights[slot];
      quota -= weight;
      if (this.lists.ownerOf(slot) === PROTECTED) this.protectedWeight -= weight;
      this.windowWeight += weight;
      this.lists.moveToHead(WINDOW, slot);
    }
  }

  /**
   * Sets a new capacity, evicting down to it at once: a shadow of the window tuner shrinks
   * with its sampling rate and keeps what it holds (see WindowTuner.lowerRate).
   */
  resize(capacity: number): void {
    this.bound = capacity;
    this.setWindowShare(this.share);
    this.evict();
  }

  recordMiss(hash: number): void {
    this.sketch.increment(hash);
    this.tuner?.recordMiss(hash);
  }

  recordHit(slot: number): void {
    this.sketch.increment(this.lists.tagOf(slot));
    this.tuneAndTouch(slot);
  }

  /**
   * Each phase over the whole batch: the records, then the sketch, then the moves (see
   * ReadBuffer). An entry whose counters were all found at 15 since the sketch last halved is
   * stamped with that epoch and its increments are skipped until the next halving: they would
   * change nothing (a saturated increment adds no count and does not advance the halving), and
   * on a skewed workload most hits are to such keys (zipfian gets 8.5% faster, paired).
   */
  recordHits(slots: Int32Array, count: number): void {
    const lists = this.lists;
    const sketch = this.sketch;
    lists.touchAll(slots, count);
    let epoch = sketch.epoch;
    let stamp = this.stampFor(epoch);
    for (let i = 0; i < count; i++) {
      const slot = slots[i] ^ (slots[i] >> 31); // the slot of a hit (s) or of a same-weight update (~s)
      if (lists.stampOf(slot) === stamp) continue;
      if (sketch.increment(lists.tagOf(slot))) lists.setStamp(slot, stamp);
      else if (sketch.epoch !== epoch) stamp = this.stampFor((epoch = sketch.epoch)); // it halved
    }
    for (let i = 0; i < count; i++) {
      const s = slots[i];
      if (s >= 0) this.tuneAndTouch(s);
      else this.updateTouch(~s);
    }
  }

  /** The stamp for saturated counters in sketch epoch `epoch` (1 .. STAMP_LIMIT - 1). */
  private stampFor(epoch: number): number {
    const stamp = (epoch % (STAMP_LIMIT - 1)) + 1;
    if (stamp !== this.saturatedStamp) {
      // Stamps came round (after 4M halvings): an old one must not pass for the current one.
      if (stamp < this.saturatedStamp) this.lists.clearStamps();
      this.saturatedStamp = stamp;
    }
    return stamp;
  }

  /** An overwrite that kept its weight: the shadows see an update, the regions a hit. */
  private updateTouch(slot: number): void {
    this.tuner?.recordUpdate(this.lists.tagOf(slot), this.weights[slot]);
    this.touch(slot);
  }

  private tuneAndTouch(slot: number): void {
    const tuner = this.tuner;
    if (tuner !== undefined) {
      const hash = this.lists.tagOf(slot);
      // The weight is read only for sampled keys: on a large cache it is one more likely miss.
      if (tuner.samples(hash)) tuner.recordHit(hash, this.weights[slot]);
    }
    this.touch(slot);
  }

  add(slot: number, hash: number, weight: number): void {
    this.ensure(slot);
    this.weights[slot] = weight;
    this.lists.pushTail(WINDOW, slot);
    this.lists.setTag(slot, hash);
    this.windowWeight += weight;
    this.total += weight;
    // The sketch grows ahead of the cache while it fills, so the counts it carries into its
    // full size were taken at a low load (following the resident count alone gave P12 at
    // 524288 60.87, not 61.75), but at most twice ahead: its memory follows the entries held.
    const sketchEntries = Math.max(this.size, Math.min(2 * this.size, this.projectedEntries()));
    if (sketchEntries > this.sketch.capacity) this.sketch.ensureCapacity(sketchEntries);
    this.tuner?.recordInsert(hash, weight, this.size);
    this.evict();
  }

  /** Entries at capacity if they weigh what the resident ones do on average (0 until a sample). */
  private projectedEntries(): number {
    if (this.size < PROJECTION_SAMPLE || this.total <= 0) return 0;
    return Math.min(MAX_PROJECTED_ENTRIES, Math.ceil((this.bound * this.size) / this.total));
  }

  update(slot: number, hash: number, weight: number): void {
    this.sketch.increment(hash);
    this.tuner?.recordUpdate(hash, weight);
    const delta = weight - this.weights[slot];
    this.weights[slot] = weight;
    this.total += delta;
    const region = this.lists.ownerOf(slot);
    if (region === WINDOW) this.windowWeight += delta;
    else if (region === PROTECTED) this.protectedWeight += delta;
    this.touch(slot);
    if (region === PROTECTED) this.demoteProtectedOverflow(); // it may have grown past the bound
    this.evict();
  }

  remove(slot: number): void {
    const region = this.lists.ownerOf(slot);
    if (region === NONE) return;
    this.tuner?.recordRemove(this.lists.tagOf(slot));
    this.unlink(slot, region);
  }

  clear(): void {
    this.lists.clear();
    this.sketch.clear();
    this.windowWeight = this.protectedWeight = this.total = 0;
  }

  /**
   * A hit: refresh recency; a probation hit is promoted to protected. Protected is kept in
   * CLOCK order: a hit there only marks the entry, which is moved to the tail (its mark
   * cleared) when demotion reaches it, as LRU would have kept it. Most hits of a skewed
   * workload land in protected, and a move costs the cache misses of two neighbours' records.
   */
  private touch(slot: number): void {
    const region = this.lists.ownerOf(slot);
    if (region === PROTECTED) {
      this.lists.mark(slot);
      return;
    }
    if (region === WINDOW) {
      this.lists.moveToTail(region, slot);
      return;
    }
    if (region !== PROBATION) return;
    this.lists.moveToTail(PROTECTED, slot);
    this.protectedWeight += this.weights[slot];
    this.demoteProtectedOverflow();
  }

  /** Demotes the least recent protected entries back to probation while protected overflows. */
  private demoteProtectedOverflow(): void {
    while (this.protectedWeight > this.maxProtected && this.lists.lengths[PROTECTED] > 1) {
      const demoted = this.lists.head(PROTECTED);
      if (this.lists.isMarked(demoted)) {
        this.lists.moveToTail(PROTECTED, demoted); // used since it was last moved: a second chance
        continue;
      }
      this.lists.moveToTail(PROBATION, demoted);
      this.protectedWeight -= this.weights[demoted];
    }
  }

  private evict(): void {
    const candidate = this.evictFromWindow();
    this.evictFromMain(candidate);
  }

  /** Moves window overflow to the probation tail; returns the first moved slot (the oldest candidate). */
  private evictFromWindow(): number {
    let first = NONE;
    while (this.windowWeight > this.maxWindow && this.lists.lengths[WINDOW] > 0) {
      const slot = this.lists.head(WINDOW);
      this.lists.moveToTail(PROBATION, slot);
      this.windowWeight -= this.weights[slot];
      if (first === NONE) first = slot;
    }
    return first;
  }

  /**
   * Evicts until the total fits: each round pits the oldest candidate (moved in from the
   * window) against the probation victim at the head, and the less frequent one leaves.
   */
  private evictFromMain(firstCandidate: number): void {
    let candidate = firstCandidate;
    while (this.total > this.bound) {
      let victim = this.lists.head(PROBATION);
      if (victim === candidate) victim = NONE; // only candidates are left in probation
      if (victim === NONE && candidate === NONE) {
        // Probation is empty: take from protected, then from the window.
        const fallback =
          this.lists.lengths[PROTECTED] > 0 ? this.lists.head(PROTECTED) : this.lists.head(WINDOW);
        this.evictSlot(fallback);
        continue;
      }
      if (victim === NONE) {
        const loser = candidate;
        candidate = this.lists.nextOf(candidate);
        this.evictSlot(loser);
        continue;
      }
      if (candidate === NONE) {
        this.evictSlot(victim);
        continue;
      }
      if (this.admit(this.lists.tagOf(candidate), this.lists.tagOf(victim))) {
        this.evictSlot(victim);
      } else {
        const loser = candidate;
        candidate = this.lists.nextOf(candidate);
        this.evictSlot(loser);
      }
    }
  }

  private admit(candidateHash: number, victimHash: number): boolean {
    const candidateFrequency = this.sketch.frequency(candidateHash);
    const victimFrequency = this.sketch.frequency(victimHash);
    if (candidateFrequency > victimFrequency) return true;
    if (candidateFrequency >= RANDOM_ADMISSION_THRESHOLD) return this.random() < RANDOM_ADMISSION_CHANCE;
    return false;
  }

  private evictSlot(slot: number): void {
    this.unlink(slot, this.lists.ownerOf(slot));
    this.onEvict(slot);
  }

  private unlink(slot: number, region: number): void {
    this.lists.unlink(slot);
    const w = this.weights[slot];
    this.total -= w;
    if (region === WINDOW) this.windowWeight -= w;
    else if (region === PROTECTED) this.protectedWeight -= w;
  }

  private ensure(slot: number): void {
    this.lists.ensure(slot);
    if (slot < this.weights.length) return;
    const w = new Float64Array(this.lists.slotCapacity);
    w.set(this.weights);
    this.weights = w;
  }
}
