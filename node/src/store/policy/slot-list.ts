/**
 * Intrusive doubly linked lists over slot indices, held in one typed array.
 *
 * Several lists (for example W-TinyLFU's window, probation and protected regions) share one
 * record array: a slot is in at most one list at a time. Each list is named by a small integer;
 * its head (least recent) and tail (most recent) live in `heads` / `tails`. A slot's record is
 * four int32s side by side — previous, next, owning list, and a tag the policy may use (W-TinyLFU
 * keeps the key's hash there) — so a hit reads one 16-byte record instead of one cache line per
 * field in separate arrays: on a large cache every line is a likely miss. No object is
 * allocated per entry.
 */
const NONE = -1;
const STRIDE = 4;
const PREV = 0;
const NEXT = 1;
const OWNER = 2;
/** Set in a slot's owner word by `mark` (a CLOCK reference bit); list numbers stay below it. */
const MARKED = 0x100;
const LIST_BITS = MARKED - 1;
/** The owner word's bits above the mark hold the slot's stamp (see `stampOf`). */
const STAMP_SHIFT = 9;
/** Stamps are 1 .. STAMP_LIMIT - 1, so a linked slot's owner word stays positive. */
export const STAMP_LIMIT = 1 << 22;
const TAG = 3;

export class SlotLists {
  private records: Int32Array;
  readonly heads: Int32Array;
  readonly tails: Int32Array;
  readonly lengths: Int32Array;

  constructor(listCount: number, initialSlots = 1024) {
    this.records = emptyRecords(Math.max(1, initialSlots));
    this.heads = new Int32Array(listCount).fill(NONE);
    this.tails = new Int32Array(listCount).fill(NONE);
    this.lengths = new Int32Array(listCount);
  }

  /** Slots that can be linked without growing. */
  get slotCapacity(): number {
    return this.records.length / STRIDE;
  }

  /** The list holding `slot`, or -1. */
  ownerOf(slot: number): number {
    if (slot >= this.slotCapacity) return NONE;
    const owner = this.records[slot * STRIDE + OWNER];
    return owner < 0 ? NONE : owner & LIST_BITS;
  }

  /**
   * Marks linked `slot` as used since it was last moved: a reference bit, so a list can be kept
   * in CLOCK order (a hit marks, the list's owner gives marked slots a second chance when it
   * takes from the head) instead of moving the slot on every hit. Any move clears the mark.
   */
  mark(slot: number): void {
    this.records[slot * STRIDE + OWNER] |= MARKED;
  }

  /**
   * A small number the list's owner keeps for linked `slot` (0 when none), in the word the
   * owner's hit reads anyway: W-TinyLFU records there in which sketch epoch the slot's counters
   * were found saturated. Any move clears it, as it clears the mark.
   */
  stampOf(slot: number): number {
    return this.records[slot * STRIDE + OWNER] >>> STAMP_SHIFT;
  }

  /** Sets linked `slot`'s stamp, 1 .. STAMP_LIMIT - 1. */
  setStamp(slot: number, stamp: number): void {
    const at = slot * STRIDE + OWNER;
    this.records[at] = (this.records[at] & (MARKED | LIST_BITS)) | (stamp << STAMP_SHIFT);
  }

  /** Clears every slot's stamp. */
  clearStamps(): void {
    const r = this.records;
    for (let at = OWNER; at < r.length; at += STRIDE) if (r[at] >= 0) r[at] &= MARKED | LIST_BITS;
  }

  isMarked(slot: number): boolean {
    const owner = this.records[slot * STRIDE + OWNER];
    return owner >= 0 && (owner & MARKED) !== 0; // an unlinked slot's word is NONE, every bit set
  }

  /** The slot after `slot` (towards the most recent end), or -1. */
  nextOf(slot: number): number {
    return this.records[slot * STRIDE + NEXT];
  }

  /** The policy's tag for `slot` (kept while the slot is linked). */
  tagOf(slot: number): number {
    return this.records[slot * STRIDE + TAG];
  }

  setTag(slot: number, tag: number): void {
    this.ensure(slot);
    this.records[slot * STRIDE + TAG] = tag;
  }

  /**
   * Reads the records of `count` slots and returns a meaningless sum: a batch touches them all
   * first, with loads that do not depend on each other, so their cache misses overlap instead
   * of being paid one after another inside the moves.
   */
  touchAll(slots: Int32Array, count: number): number {
    const r = this.records;
    let sum = 0;
    for (let i = 0; i < count; i++) sum += r[(slots[i] ^ (slots[i] >> 31)) * STRIDE + TAG];
    return sum;
  }

  /** Makes sure `slot` can be linked; grows the array geometrically. */
  ensure(slot: number): void {
    const capacity = this.slotCapacity;
    if (slot < capacity) return;
    let n = capacity * 2;
    while (n <= slot) n *= 2;
    const records = emptyRecords(n);
    records.set(this.records);
    this.records = records;
  }

  /** Appends `slot` at the most-recent end of `list`. */
  pushTail(list: number, slot: number): void {
    this.ensure(slot);
    const r = this.records;
    const at = slot * STRIDE;
    const tail = this.tails[list];
    r[at + PREV] = tail;
    r[at + NEXT] = NONE;
    r[at + OWNER] = list;
    if (tail === NONE) this.heads[list] = slot;
    else r[tail * STRIDE + NEXT] = slot;
    this.tails[list] = slot;
    this.lengths[list]++;
  }

  /** Unlinks `slot` from whatever list holds it; a no-op for an unlinked slot. */
  unlink(slot: number): void {
    const list = this.ownerOf(slot);
    if (list === NONE) return;
    const r = this.records;
    const at = slot * STRIDE;
    const p = r[at + PREV];
    const n = r[at + NEXT];
    if (p === NONE) this.heads[list] = n;
    else r[p * STRIDE + NEXT] = n;
    if (n === NONE) this.tails[list] = p;
    else r[n * STRIDE + PREV] = p;
    r[at + PREV] = NONE;
    r[at + NEXT] = NONE;
    r[at + OWNER] = NONE;
    this.lengths[list]--;
  }

  /** Moves `slot` to the most-recent end of `list` (which may be the list it is in). */
  moveToTail(list: number, slot: number): void {
    if (this.tails[list] === slot && this.ownerOf(slot) === list) return;
    this.unlink(slot);
    this.pushTail(list, slot);
  }

  /** Moves `slot` to the least-recent end of `list` (linked or not). */
  moveToHead(list: number, slot: number): void {
    this.ensure(slot);
    this.unlink(slot);
    const r = this.records;
    const at = slot * STRIDE;
    const head = this.heads[list];
    r[at + PREV] = NONE;
    r[at + NEXT] = head;
    r[at + OWNER] = list;
    if (head === NONE) this.tails[list] = slot;
    else r[head * STRIDE + PREV] = slot;
    this.heads[list] = slot;
    this.lengths[list]++;
  }

  /** The most recent slot of `list`, or -1 when it is empty. */
  tailOf(list: number): number {
    return this.tails[list];
  }

  /** The least recent slot of `list`, or -1 when it is empty. */
  head(list: number): number {
    return this.heads[list];
  }

  /** Resets every list (the array keeps its size). */
  clear(): void {
    this.records.fill(NONE);
    this.heads.fill(NONE);
    this.tails.fill(NONE);
    this.lengths.fill(0);
  }
}

function emptyRecords(slots: number): Int32Array {
  return new Int32Array(slots * STRIDE).fill(NONE);
}
