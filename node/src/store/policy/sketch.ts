/**
 * A count-min sketch of 4-bit counters with periodic halving: TinyLFU's frequency estimate.
 *
 * Four rows of `width` counters packed eight to a Uint32; a key's estimate is the minimum of
 * its four counters. After `sampleSize` increments (10x the entries it is sized for) every
 * counter is halved, so old popularity fades and the estimate follows the recent workload.
 *
 * The sketch grows with the cache without forgetting: a counter's index is a key's mixed hash
 * masked to the row width, so when the width doubles a key's new index is its old one or the
 * old one plus the old width. Copying each row into both halves keeps every estimate exactly.
 */
const DEPTH = 4;
const MAX_COUNT = 15;
const COUNTERS_PER_ENTRY = 4;
/** The smallest size, in entries (one row is then 64 counters, eight words). */
export const MIN_ENTRIES = 16;
/** Row seeds: odd constants that spread one 32-bit hash into four independent-looking indices. */
const SEEDS = [0x97cb3127, 0xb4b82e39, 0x9e3779b9, 0x85ebca6b];

export class FrequencySketch {
  private table: Uint32Array;
  private mask = 0;
  private sampleSize = 0;
  private additions = 0;
  /** Entries the sketch is sized for. */
  capacity = 0;

  constructor(expectedEntries: number) {
    this.table = new Uint32Array(0);
    this.ensureCapacity(expectedEntries);
  }

  /** Grows the sketch, keeping its counts, when the cache holds more entries than it was sized for. */
  ensureCapacity(entries: number): void {
    const wanted = Math.max(MIN_ENTRIES, 2 ** Math.ceil(Math.log2(Math.max(1, entries))));
    if (wanted <= this.capacity) return;
    this.capacity = wanted;
    // Four counters per entry in each row (8 bytes an entry in all), as Caffeine sizes it.
    const width = wanted * COUNTERS_PER_ENTRY;
    this.mask = width - 1;
    const old = this.table;
    this.table = new Uint32Array((width * DEPTH) / 8);
    copyRows(old, this.table);
    // The additions so far count towards the next halving, now 10x the new size away.
    this.sampleSize = 10 * wanted;
  }

  /** The estimated recent frequency of `hash`, 0..15. */
  frequency(hash: number): number {
    const h = spread(hash);
    let min = MAX_COUNT;
    for (let row = 0; row < DEPTH; row++) {
      const index = this.indexOf(h, row);
      const count = (this.table[index >>> 3] >>> ((index & 7) << 2)) & 0xf;
      if (count < min) min = count;
    }
    return min;
  }

  increment(hash: number): void {
    const h = spread(hash);
    let added = false;
    for (let row = 0; row < DEPTH; row++) {
      const index = this.indexOf(h, row);
      const word = index >>> 3;
      const shift = (index & 7) << 2;
      if (((this.table[word] >>> shift) & 0xf) < MAX_COUNT) {
        this.table[word] += 1 << shift;
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.halve();
  }

  /** Halves every counter: the "reset" that ages the sketch. */
  halve(): void {
    const t = this.table;
    for (let i = 0; i < t.length; i++) t[i] = (t[i] >>> 1) & 0x77777777;
    this.additions = this.additions >>> 1;
  }

  clear(): void {
    this.table.fill(0);
    this.additions = 0;
  }

  private indexOf(h: number, row: number): number {
    const x = Math.imul(h ^ (h >>> 15), SEEDS[row]);
    // Row r uses its own quarter of the table so the rows stay independent.
    return (((x ^ (x >>> 13)) >>> 0) & this.mask) + row * (this.mask + 1);
  }
}

/** Tiles each row of `from` over the wider row of `to`: every key keeps its counters. */
function copyRows(from: Uint32Array, to: Uint32Array): void {
  const fromRow = from.length / DEPTH;
  const toRow = to.length / DEPTH;
  if (fromRow === 0) return;
  for (let row = 0; row < DEPTH; row++) {
    const counters = from.subarray(row * fromRow, (row + 1) * fromRow);
    for (let at = 0; at < toRow; at += fromRow) to.set(counters, row * toRow + at);
  }
}

/** A finalizer (murmur3 fmix32) so weak key hashes still spread over the table. */
export function spread(hash: number): number {
  let h = hash | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
