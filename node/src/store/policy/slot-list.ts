/**
 * Intrusive doubly linked lists over slot indices, held in two growable Int32Arrays.
 *
 * Several lists (for example W-TinyLFU's window, probation and protected regions) share one
 * pair of link arrays: a slot is in at most one list at a time. Each list is named by a small
 * integer; its head (least recent) and tail (most recent) live in `heads` / `tails`.
 * No object is allocated per entry.
 */
const NONE = -1;

export class SlotLists {
  prev: Int32Array;
  next: Int32Array;
  /** Which list a slot is in, or -1. */
  owner: Int8Array;
  readonly heads: Int32Array;
  readonly tails: Int32Array;
  readonly lengths: Int32Array;

  constructor(listCount: number, initialSlots = 1024) {
    this.prev = new Int32Array(initialSlots).fill(NONE);
    this.next = new Int32Array(initialSlots).fill(NONE);
    this.owner = new Int8Array(initialSlots).fill(NONE);
    this.heads = new Int32Array(listCount).fill(NONE);
    this.tails = new Int32Array(listCount).fill(NONE);
    this.lengths = new Int32Array(listCount);
  }

  /** Makes sure `slot` can be linked; grows the arrays geometrically. */
  ensure(slot: number): void {
    if (slot < this.prev.length) return;
    let n = this.prev.length * 2;
    while (n <= slot) n *= 2;
    this.prev = grow(this.prev, n);
    this.next = grow(this.next, n);
    const owner = new Int8Array(n).fill(NONE);
    owner.set(this.owner);
    this.owner = owner;
  }

  /** Appends `slot` at the most-recent end of `list`. */
  pushTail(list: number, slot: number): void {
    this.ensure(slot);
    const tail = this.tails[list];
    this.prev[slot] = tail;
    this.next[slot] = NONE;
    if (tail === NONE) this.heads[list] = slot;
    else this.next[tail] = slot;
    this.tails[list] = slot;
    this.owner[slot] = list;
    this.lengths[list]++;
  }

  /** Unlinks `slot` from whatever list holds it; a no-op for an unlinked slot. */
  unlink(slot: number): void {
    const list = this.owner[slot];
    if (list === NONE) return;
    const p = this.prev[slot];
    const n = this.next[slot];
    if (p === NONE) this.heads[list] = n;
    else this.next[p] = n;
    if (n === NONE) this.tails[list] = p;
    else this.prev[n] = p;
    this.prev[slot] = NONE;
    this.next[slot] = NONE;
    this.owner[slot] = NONE;
    this.lengths[list]--;
  }

  /** Moves `slot` to the most-recent end of `list` (which may be the list it is in). */
  moveToTail(list: number, slot: number): void {
    if (this.owner[slot] === list && this.tails[list] === slot) return;
    this.unlink(slot);
    this.pushTail(list, slot);
  }

  /** The least recent slot of `list`, or -1 when it is empty. */
  head(list: number): number {
    return this.heads[list];
  }

  /** Resets every list (the arrays keep their size). */
  clear(): void {
    this.prev.fill(NONE);
    this.next.fill(NONE);
    this.owner.fill(NONE);
    this.heads.fill(NONE);
    this.tails.fill(NONE);
    this.lengths.fill(0);
  }
}

function grow(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n).fill(NONE);
  b.set(a);
  return b;
}
