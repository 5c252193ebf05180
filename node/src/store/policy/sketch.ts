/**
 * A count-min sketch of 4-bit counters with periodic halving: TinyLFU's frequency estimate.
 *
 * Blocked, as Caffeine's (since 3.0): a key's four counters all sit in one 64-byte block (16
 * words of eight counters), one in each quarter of it, so an increment or an estimate touches
 * one cache line where four independent rows touch four. On a large cache the sketch is far
 * bigger than the CPU's caches, and those lines were most of what W-TinyLFU added to a hit
 * (bench:throughput, get-path). Its load is what rows would give: 16 counters per entry it is
 * sized for, a key's estimate the minimum of its four.
 *
 * After `sampleSize` increments (10x the entries it is sized for) every counter is halved, so
 * old popularity fades and the estimate follows the recent workload.
 *
 * The sketch grows with the cache without forgetting: a key's block is its hash masked to the
 * block count, and its counters' places inside the block do not depend on the size, so when
 * the table doubles a key's block is its old one or the old one plus the old count. Copying
 * the table into both halves keeps every estimate exactly.
 */
const MAX_COUNT = 15;
/** Counters per entry the sketch is sized for (in four groups of one per key). */
const COUNTERS_PER_ENTRY = 16;
/** Sixteen 32-bit words: 64 bytes, one cache line; a quarter (four words) per counter of a key. */
const BLOCK_WORDS = 16;
/** The smallest size, in entries (two blocks). */
export const MIN_ENTRIES = 16;

export class FrequencySketch {
  private table: Uint32Array;
  private blockMask = 0;
  private sampleSize = 0;
  private additions = 0;
  /** Entries the sketch is sized for. */
  capacity = 0;
  /**
   * Goes up whenever counters may go down (a halving, a clear). A key whose increment found
   * all four of its counters at the maximum stays at the maximum until then: the policy skips
   * its increments (see WTinyLfuPolicy.recordHits), which would change nothing.
   */
  epoch = 0;

  constructor(expectedEntries: number) {
    this.table = new Uint32Array(0);
    this.ensureCapacity(expectedEntries);
  }

  /** Grows the sketch, keeping its counts, when the cache holds more entries than it was sized for. */
  ensureCapacity(entries: number): void {
    const wanted = Math.max(MIN_ENTRIES, 2 ** Math.ceil(Math.log2(Math.max(1, entries))));
    if (wanted <= this.capacity) return;
    this.capacity = wanted;
    // Eight counters a word: 8 bytes an entry, as Caffeine sizes it.
    const words = (wanted * COUNTERS_PER_ENTRY) / 8;
    this.blockMask = words / BLOCK_WORDS - 1;
    const old = this.table;
    this.table = new Uint32Array(words);
    for (let at = 0; at < words && old.length > 0; at += old.length) this.table.set(old, at);
    // The additions so far count towards the next halving, now 10x the new size away.
    this.sampleSize = 10 * wanted;
  }

  /** The estimated recent frequency of `hash`, 0..15. */
  frequency(hash: number): number {
    const counterHash = spread(hash);
    const blockHash = rehash(counterHash);
    const block = (blockHash & this.blockMask) * BLOCK_WORDS;
    const t = this.table;
    let min = MAX_COUNT;
    for (let i = 0; i < 4; i++) {
      // Eight bits of counterHash per counter: two pick the word of its quarter, three the nibble.
      const h = counterHash >>> (i << 3);
      const count = (t[block + (i << 2) + (h & 3)] >>> (((h >>> 2) & 7) << 2)) & 0xf;
      if (count < min) min = count;
    }
    return min;
  }

  /** Counts one occurrence of `hash`; true when all its counters were already at 15 (no change). */
  increment(hash: number): boolean {
    const counterHash = spread(hash);
    const blockHash = rehash(counterHash);
    const block = (blockHash & this.blockMask) * BLOCK_WORDS;
    const t = this.table;
    let added = false;
    for (let i = 0; i < 4; i++) {
      const h = counterHash >>> (i << 3);
      const word = block + (i << 2) + (h & 3);
      const shift = ((h >>> 2) & 7) << 2;
      if (((t[word] >>> shift) & 0xf) < MAX_COUNT) {
        t[word] += 1 << shift;
        added = true;
      }
    }
    if (!added) return true;
    if (++this.additions >= this.sampleSize) this.halve();
    return false;
  }

  /** Halves every counter: the "reset" that ages the sketch. */
  halve(): void {
    this.epoch++;
    const t = this.table;
    for (let i = 0; i < t.length; i++) t[i] = (t[i] >>> 1) & 0x77777777;
    this.additions = this.additions >>> 1;
  }

  clear(): void {
    this.epoch++;
    this.table.fill(0);
    this.additions = 0;
  }
}

/** A finalizer (murmur3 fmix32) so weak key hashes still spread over the table. */
export function spread(hash: number): number {
  let h = hash | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * A second mix of the spread hash, for the block: the counters' places take the spread hash's
 * bits, so block and places do not share bits. (Which hash picks the block moved single rows
 * of bench:store by up to 4 pp either way at cache sizes of 100 entries, where a sketch has
 * sixteen blocks, and nothing on average; this way round kept every row the rows layout met.)
 */
function rehash(h: number): number {
  const x = Math.imul(h, 0x31848bab);
  return x ^ (x >>> 14);
}
