/**
 * Intrusive doubly linked lists over slot indices, held in typed arrays.
 *
 * Several lists (for example W-TinyLFU's window, probation and protected regions) share one
 * link array: a slot is in at most one list at a time. Each list is named by a small integer;
 * its head (least recent) and tail (most recent) live in `heads` / `tails`. A slot's previous
 * and next links sit side by side (`links[2s]`, `links[2s + 1]`), so moving an entry touches
 * one cache line per slot instead of two. No object is allocated per entry.
 */
const NONE = -1;

export class SlotLists {
  private links: Int32Array;
  /** Which list a slot is in, or -1. */
  owner: Int8Array;
  readonly heads: Int32Array;
  readonly tails: Int32Array;
  readonly lengths: Int32Array;

  constructor(listCount: number, initialSlots = 1024) {
    this.links = new Int32Array(2 * initialSlots).fill(NONE);
    this.owner = new Int8Array(initialSlots).fill(NONE);
    this.heads = new Int32Array(listCount).fill(NONE);
    this.tails = new Int32Array(listCount).fill(NONE);
    this.lengths = new Int32Array(listCount);
  }

  /** Slots that can be linked without growing. */
  get slotCapacity(): number {
    return this.owner.length;
  }

  /** The slot after `slot` (towards the most recent end), or -1. */
  nextOf(slot: number): number {
    return this.links[2 * slot + 1];
  }

  /** Makes sure `slot` can be linked; grows the arrays geometrically. */
  ensure(slot: number): void {
    if (slot < this.owner.length) return;
    let n = this.owner.length * 2;
    while (n <= slot) n *= 2;
    const links = new Int32Array(2 * n).fill(NONE);
    links.set(this.links);
    this.links = links;
    const owner = new Int8Array(n).fill(NONE);
    owner.set(this.owner);
    this.owner = owner;
  }

  /** Appends `slot` at the most-recent end of `list`. */
  pushTail(list: number, slot: number): void {
    this.ensure(slot);
    const links = this.links;
    const tail = this.tails[list];
    links[2 * slot] = tail;
    links[2 * slot + 1] = NONE;
    if (tail === NONE) this.heads[list] = slot;
    else links[2 * tail + 1] = slot;
    this.tails[list] = slot;
    this.owner[slot] = list;
    this.lengths[list]++;
  }

  /** Unlinks `slot` from whatever list holds it; a no-op for an unlinked slot. */
  unlink(slot: number): void {
    const list = this.owner[slot];
    if (list === NONE) return;
    const links = this.links;
    const p = links[2 * slot];
    const n = links[2 * slot + 1];
    if (p === NONE) this.heads[list] = n;
    else links[2 * p + 1] = n;
    if (n === NONE) this.tails[list] = p;
    else links[2 * n] = p;
    links[2 * slot] = NONE;
    links[2 * slot + 1] = NONE;
    this.owner[slot] = NONE;
    this.lengths[list]--;
  }

  /** Moves `slot` to the most-recent end of `list` (which may be the list it is in). */
  moveToTail(list: number, slot: number): void {
    if (this.tails[list] === slot && this.owner[slot] === list) return;
    this.unlink(slot);
    this.pushTail(list, slot);
  }

  /** The least recent slot of `list`, or -1 when it is empty. */
  head(list: number): number {
    return this.heads[list];
  }

  /** Resets every list (the arrays keep their size). */
  clear(): void {
    this.links.fill(NONE);
    this.owner.fill(NONE);
    this.heads.fill(NONE);
    this.tails.fill(NONE);
    this.lengths.fill(0);
  }
}
