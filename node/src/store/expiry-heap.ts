/**
 * A binary min-heap of slots ordered by their expiry time, for active expiry.
 *
 * `popDue(now)` costs O(log n) per entry that is due and nothing for the others, so expiring
 * k entries out of n costs O(k log n), not O(n). Each slot remembers its heap position so a
 * delete or an overwrite can take it out in O(log n). Typed arrays, no object per entry.
 */
const NONE = -1;

export class ExpiryHeap {
  private heap = new Int32Array(1024);
  private position = new Int32Array(1024).fill(NONE);
  private length = 0;
  /** Number of heap nodes examined, for tests that check expiry work follows what expires. */
  visited = 0;

  constructor(private readonly expiryOf: (slot: number) => number) {}

  get size(): number {
    return this.length;
  }

  has(slot: number): boolean {
    return slot < this.position.length && this.position[slot] !== NONE;
  }

  push(slot: number): void {
    this.ensure(slot);
    if (this.length === this.heap.length) this.heap = growInt32(this.heap, this.heap.length * 2, 0);
    this.heap[this.length] = slot;
    this.position[slot] = this.length;
    this.length++;
    this.siftUp(this.length - 1);
  }

  remove(slot: number): void {
    if (!this.has(slot)) return;
    const i = this.position[slot];
    this.position[slot] = NONE;
    this.length--;
    if (i === this.length) return;
    const moved = this.heap[this.length];
    this.heap[i] = moved;
    this.position[moved] = i;
    this.siftDown(i);
    this.siftUp(this.position[moved]);
  }

  /** Removes and returns the earliest slot if it expires at or before `now`, else -1. */
  popDue(now: number): number {
    if (this.length === 0) return NONE;
    const top = this.heap[0];
    this.visited++;
    if (this.expiryOf(top) > now) return NONE;
    this.remove(top);
    return top;
  }

  clear(): void {
    this.position.fill(NONE);
    this.length = 0;
  }

  private ensure(slot: number): void {
    if (slot < this.position.length) return;
    let n = this.position.length * 2;
    while (n <= slot) n *= 2;
    this.position = growInt32(this.position, n, NONE);
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const slot = heap[i];
    const t = this.expiryOf(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.expiryOf(heap[parent]) <= t) break;
      heap[i] = heap[parent];
      this.position[heap[i]] = i;
      i = parent;
    }
    heap[i] = slot;
    this.position[slot] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const slot = heap[i];
    const t = this.expiryOf(slot);
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.length) break;
      if (child + 1 < this.length && this.expiryOf(heap[child + 1]) < this.expiryOf(heap[child])) child++;
      if (this.expiryOf(heap[child]) >= t) break;
      heap[i] = heap[child];
      this.position[heap[i]] = i;
      i = child;
    }
    heap[i] = slot;
    this.position[slot] = i;
  }
}

function growInt32(a: Int32Array<ArrayBuffer>, n: number, fill: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n).fill(fill);
  b.set(a);
  return b;
}
