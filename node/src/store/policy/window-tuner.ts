/**
 * Sizes W-TinyLFU's window by miniature simulation (Waldspurger et al., USENIX ATC'17).
 *
 * Beside the real cache run a few small shadow W-TinyLFU caches, one per candidate window
 * share (1% … 100%, where 100% is plain LRU). They see a spatially sampled slice of the same
 * requests (keys whose hash falls under `rate`) and are `rate` times the real capacity, so
 * each behaves like the real cache would with that share. Their hits are counted with
 * exponential decay; every period the real window steps towards the share hitting best
 * (before its first such move, as soon as a share leads the starting one beyond doubt).
 * Unlike a hill climber, which compares this period against the last one (different traffic),
 * every share is scored on the same requests at the same time, so the direction is known at
 * once and noise does not send the window the wrong way.
 *
 * Cost: per request, a hash test; per sampled request, one lookup in each shadow. The rate
 * keeps each shadow near TARGET_SHADOW_ENTRIES entries, so for large caches the work and
 * memory are a small fraction of the real cache's; small caches are simulated in full.
 */
import type { EvictionPolicy, EvictionSink } from './policy.js';

export const WINDOW_SHARES = [0.01, 0.04, 0.1, 0.25, 0.5, 0.75, 1] as const;
export const TARGET_SHADOW_ENTRIES = 2048;
/** Reads between decisions, in multiples of a shadow's entries (at least MIN_PERIOD). */
const PERIOD_PER_ENTRY = 2;
const MIN_PERIOD = 512;
/**
 * Scores decay by this factor each period: a memory of about ten periods, long enough that
 * shares whose hit ratios differ by half a percent are told apart, short enough to follow a
 * change of workload within a few cache-fulls of requests.
 */
const DECAY = 0.9;
/** The best share must lead the current one by this fraction of the scored reads to move it. */
const SWITCH_MARGIN = 0.005;
/**
 * Growth of the resident count over one period up to which a cache counts as settled (a
 * weighted cache can keep gaining entries long after it is full by weight).
 */
const SETTLED_GROWTH = 1.1;
/**
 * Standard deviations by which a share must lead the starting one to move before a period ends.
 * The lead is checked every EARLY_CHECK reads, dozens of looks a period, so one look must be
 * far past chance (at 3 and 4, early moves on passing phases cost gli at 500 entries 0.4 pp
 * and multi1 at 500 2 pp; P12 at 262,144 0.6 pp).
 */
const EARLY_Z = 5;
/** Reads between checks for a clear lead (a power of two). */
const EARLY_CHECK = 128;

/**
 * Builds a shadow policy. Its sketch, like the real one, follows the entries it holds, so a
 * shadow ages and collides its counts as the real cache does at `rate` times the scale.
 */
export type ShadowFactory = (capacity: number, onEvict: EvictionSink, windowShare: number) => ShadowPolicy;

/** A shadow's policy: one that can shrink when the sampling rate falls. */
export type ShadowPolicy = EvictionPolicy & { resize(capacity: number): void };

export interface WindowTunerOptions {
  capacity: number;
  random: () => number;
  onChoice: (share: number) => void;
  makeShadow: ShadowFactory;
}

export class WindowTuner {
  private rate = 1;
  private threshold = 2 ** 32;
  private readonly shadows: ShadowCache[];
  private readonly scores = new Float64Array(WINDOW_SHARES.length);
  /**
   * Reads on which the shadows of shares i < j disagreed (one hit, one missed), at i * n + j,
   * decayed like the scores: the variance of the difference of their scores. Kept until the
   * window first moves at a period's end (see moveEarly).
   */
  private readonly disagreements = new Float64Array(WINDOW_SHARES.length ** 2);
  private current = 0;
  private reads = 0;
  /** Reads behind the scores, decayed like them. */
  private scoredReads = 0;
  private period = MIN_PERIOD;
  private residentEntries = 0;
  /** Resident entries at the previous decision (full or not). */
  private residentAtLastDecision = 0;
  /** Whether a period's decision has moved the window yet (an early move does not count). */
  private moved = false;
  /** Whether the shadows have been full since they were built: scores count from then on. */
  private scoring = false;

  constructor(private readonly options: WindowTunerOptions) {
    this.shadows = WINDOW_SHARES.map(
      (share) => new ShadowCache(this.shadowCapacity(), share, options.makeShadow),
    );
  }

  /** The sampling rate now in use (1 = every key). */
  get samplingRate(): number {
    return this.rate;
  }

  /** The share the real cache was last told to use. */
  get chosenShare(): number {
    return WINDOW_SHARES[this.current];
  }

  recordMiss(hash: number): void {
    if (this.samples(hash)) this.read(hash, 0);
  }

  recordHit(hash: number, weight = 1): void {
    if (this.samples(hash)) this.read(hash, weight);
  }

  /** The real cache stored a new entry (after a miss, or a blind write). */
  recordInsert(hash: number, weight: number, residentEntries: number): void {
    this.residentEntries = residentEntries;
    if (residentEntries * this.rate > 2 * TARGET_SHADOW_ENTRIES) this.lowerRate();
    // While a small cache fills, the period follows its size: deciding every 512 reads on a
    // 1,500-entry cache let the window swing with each phase of a periodic workload.
    else this.period = Math.max(this.period, periodFor(Math.ceil(residentEntries * this.rate)));
    if (!this.samples(hash)) return;
    for (const shadow of this.shadows) shadow.store(hash, weight);
  }

  recordUpdate(hash: number, weight: number): void {
    if (!this.samples(hash)) return;
    for (const shadow of this.shadows) shadow.store(hash, weight);
  }

  recordRemove(hash: number): void {
    if (!this.samples(hash)) return;
    for (const shadow of this.shadows) shadow.remove(hash);
  }

  /** Whether the shadows see `hash` (a spatial sample of the key space). */
  samples(hash: number): boolean {
    if (this.rate === 1) return true;
    const h = Math.imul(hash ^ (hash >>> 16), 0x7feb352d);
    return (h ^ (h >>> 15)) >>> 0 < this.threshold;
  }

  /** A sampled read: each shadow scores a hit or fills on a miss (weight 0: filled by the insert). */
  private read(hash: number, weight: number): void {
    const shadows = this.shadows;
    let hitMask = 0;
    for (let i = 0; i < shadows.length; i++) {
      if (shadows[i].access(hash, weight)) {
        this.scores[i]++;
        hitMask |= 1 << i;
      }
    }
    if (!this.moved) this.countDisagreements(hitMask);
    if (!this.scoring && shadows[0].isFull()) this.startScoring();
    if (++this.reads >= this.period) this.decide();
    else if (!this.moved && this.scoring && (this.reads & (EARLY_CHECK - 1)) === 0) this.moveEarly();
  }

  private countDisagreements(hitMask: number): void {
    const n = WINDOW_SHARES.length;
    for (let i = 0; i < n; i++) {
      const hit = (hitMask >>> i) & 1;
      for (let j = i + 1; j < n; j++) this.disagreements[i * n + j] += hit ^ ((hitMask >>> j) & 1);
    }
  }

  /**
   * Before the window's first move, a share that leads the current one beyond doubt (see
   * leadsClearly) takes it at once, without waiting for the period's end: the starting share
   * is a default, not a choice, and a sampled cache's period is two cache-fulls of requests.
   * The move goes to the nearest share tied with the best, and does not count as the first
   * move: the period's end may still jump further on all of its evidence. Later moves wait for
   * the period, whose decayed scores smooth a workload's passing phases.
   */
  private moveEarly(): void {
    const n = WINDOW_SHARES.length;
    const reads = this.scoredReads + this.reads;
    const c = this.current;
    let clear = false;
    let best = c;
    for (let i = 0; i < n; i++) {
      const disagreements = this.disagreements[Math.min(i, c) * n + Math.max(i, c)];
      if (leadsClearly(this.scores[i] - this.scores[c], disagreements, reads)) clear = true;
      if (this.scores[i] > this.scores[best]) best = i;
    }
    if (!clear) return;
    this.current = nearestTied(this.scores, c, best, SWITCH_MARGIN * reads);
    this.options.onChoice(WINDOW_SHARES[this.current]);
  }

  private decide(): void {
    this.scoredReads += this.reads;
    this.reads = 0;
    const settled = this.residentEntries <= SETTLED_GROWTH * this.residentAtLastDecision;
    this.residentAtLastDecision = this.residentEntries;
    if (!this.scoring) return; // see startScoring
    let best = this.current;
    for (let i = 0; i < this.scores.length; i++) if (this.scores[i] > this.scores[best]) best = i;
    if (
      best !== this.current &&
      this.scores[best] - this.scores[this.current] > SWITCH_MARGIN * this.scoredReads
    ) {
      const jump = !this.moved && this.rate < 1 && settled;
      const target = jump
        ? nearestTied(this.scores, this.current, best, SWITCH_MARGIN * this.scoredReads)
        : best;
      this.current = nextShareIndex(this.current, target, jump);
      this.moved = true;
      this.options.onChoice(WINDOW_SHARES[this.current]);
    }
    for (let i = 0; i < this.scores.length; i++) this.scores[i] *= DECAY;
    for (let i = 0; i < this.disagreements.length; i++) this.disagreements[i] *= DECAY;
    this.scoredReads *= DECAY;
  }

  /**
   * The shadows are full: while they filled they all held the same keys and scored alike, so
   * the scores, the period and the settled check start now. The first decision comes a whole
   * period later, on the scores of full shadows alone.
   */
  private startScoring(): void {
    this.scoring = true;
    this.scores.fill(0);
    this.disagreements.fill(0);
    this.scoredReads = 0;
    this.reads = 0;
    this.residentAtLastDecision = this.residentEntries;
  }

  /**
   * Halves the rate until the shadows fit TARGET_SHADOW_ENTRIES again. The keys sampled at the
   * lower rate are a subset of those sampled now (the same hash under a lower threshold), so
   * each shadow keeps those and drops the rest, and shrinks with the rate (SHARDS adjusts its
   * sample so): it stays warm and its score goes on, where an empty shadow would refill for
   * a cache-full of requests before its hits said anything.
   */
  private lowerRate(): void {
    while (this.residentEntries * this.rate > TARGET_SHADOW_ENTRIES) this.rate /= 2;
    this.threshold = Math.floor(this.rate * 2 ** 32);
    const capacity = this.shadowCapacity();
    for (const shadow of this.shadows) shadow.subsample((hash) => this.samples(hash), capacity);
    this.period = periodFor(Math.ceil(this.residentEntries * this.rate));
  }

  /** The real capacity scaled by the sampling rate: what each shadow holds. */
  private shadowCapacity(): number {
    return Math.max(1, Math.floor(this.options.capacity * this.rate));
  }
}

/**
 * The share (an index into WINDOW_SHARES) to move to from `current` when `best` leads.
 *
 * Normally one step: a big jump would reshuffle the real cache's regions at once, and a noisy
 * lead should not carry the window far. The first move of a sampled cache that has been full
 * for a whole period may go all the way (`jump`): the starting share is a default, not a
 * choice, and a sampled cache decides only every two cache-fulls of requests, so stepping from
 * 1% to LRU takes twelve cache-fulls (scarab-recs at 75,000 entries reached 50% only after
 * about 1M of its 1.2M requests). "Full for a whole period": the scores then hold at least a
 * period of a full cache, not only its filling. Caches simulated in full (up to 4,096 entries)
 * still step: jumping cost cpp at 100 entries 2.2 pp and multi1 at 500 1.5 pp.
 */
export function nextShareIndex(current: number, best: number, jump: boolean): number {
  return jump ? best : current + Math.sign(best - current);
}

/**
 * The share nearest `current`, on the way to `best`, that scores within `margin` of it: a
 * first move goes as far as the evidence requires and no further. Shares that close cannot be
 * told apart on one period's reads, and the nearer one reshuffles fewer entries. (P12 at
 * 262,144 entries: its first period put 50%, 75% and 100% within 3 hits of each other out of
 * 2,050; going to 100% took four single steps back to 50%, 52.46 against 53.62 now.)
 */
export function nearestTied(
  scores: ArrayLike<number>,
  current: number,
  best: number,
  margin: number,
): number {
  const step = Math.sign(best - current);
  let share = current + step;
  while (share !== best && scores[share] < scores[best] - margin) share += step;
  return share;
}

/**
 * Whether a share's lead in hits over another, on the same `reads`, is beyond chance: over the
 * switching margin and EARLY_Z standard deviations. On reads where both shadows hit or both
 * missed the two agree; each of the `disagreements` is +1 or -1 to the lead, so if neither
 * share were better the lead would have mean 0 and variance `disagreements` (a sign test).
 */
export function leadsClearly(lead: number, disagreements: number, reads: number): boolean {
  return lead > SWITCH_MARGIN * reads && lead * lead > EARLY_Z * EARLY_Z * disagreements;
}

/** Reads between decisions for shadows of `entries` entries each. */
function periodFor(entries: number): number {
  return Math.max(MIN_PERIOD, PERIOD_PER_ENTRY * Math.min(entries, TARGET_SHADOW_ENTRIES * 2));
}

/** A keyless miniature cache: slots by key hash around a real policy instance. */
class ShadowCache {
  private readonly slotOf = new Map<number, number>();
  private hashOfSlot: number[] = [];
  private readonly free: number[] = [];
  private readonly policy: ShadowPolicy;

  constructor(capacity: number, share: number, make: ShadowFactory) {
    this.policy = make(capacity, (slot) => this.evicted(slot), share);
  }

  isFull(): boolean {
    return this.policy.weight >= this.policy.capacity * 0.95;
  }

  /** A read; true on a hit. A miss with a known weight fills at once. */
  access(hash: number, weight: number): boolean {
    const slot = this.slotOf.get(hash);
    if (slot !== undefined) {
      this.policy.recordHit(slot);
      return true;
    }
    this.policy.recordMiss(hash);
    if (weight > 0) this.insert(hash, weight);
    return false;
  }

  store(hash: number, weight: number): void {
    const slot = this.slotOf.get(hash);
    if (slot === undefined) this.insert(hash, weight);
    else this.policy.update(slot, hash, Math.min(weight, this.policy.capacity));
  }

  remove(hash: number): void {
    const slot = this.slotOf.get(hash);
    if (slot === undefined) return;
    this.policy.remove(slot);
    this.slotOf.delete(hash);
    this.free.push(slot);
  }

  /** Keeps only the keys `keep` accepts, within `capacity`. */
  subsample(keep: (hash: number) => boolean, capacity: number): void {
    for (const hash of this.slotOf.keys()) if (!keep(hash)) this.remove(hash);
    this.policy.resize(capacity);
  }

  private insert(hash: number, weight: number): void {
    const slot = this.free.length > 0 ? (this.free.pop() as number) : this.hashOfSlot.length;
    this.hashOfSlot[slot] = hash;
    this.slotOf.set(hash, slot);
    this.policy.add(slot, hash, Math.min(weight, this.policy.capacity));
  }

  private evicted(slot: number): void {
    this.slotOf.delete(this.hashOfSlot[slot]);
    this.free.push(slot);
  }
}
