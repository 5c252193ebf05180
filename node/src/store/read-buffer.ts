/**
 * Hits waiting to be applied to the eviction policy, as Caffeine's read buffer holds them.
 *
 * A hit's policy work (a sketch increment and a list move: several cache lines scattered over
 * large arrays) is deferred into this small ring and applied in a batch. In a batch the moves
 * of different entries do not depend on each other, so the CPU overlaps their memory misses,
 * and the read path itself stays short, which lets consecutive lookups overlap too.
 *
 * Nothing is lost or reordered where it matters: the owner drains the buffer before every
 * decision that reads the policy's order (a write, a removal, an eviction), so the policy sees
 * every hit, in order, before it acts on them. An overwrite that keeps its entry's weight takes
 * no decision and waits here too, marked as an update (`~slot`).
 */
export const READ_BUFFER_SIZE = 128;

export class ReadBuffer {
  private readonly slots = new Int32Array(READ_BUFFER_SIZE);
  private count = 0;

  constructor(private readonly apply: (slots: Int32Array, count: number) => void) {}

  /** Hits waiting. */
  get pending(): number {
    return this.count;
  }

  record(slot: number): void {
    this.slots[this.count++] = slot;
    if (this.count === READ_BUFFER_SIZE) this.drain();
  }

  /** An overwrite that kept the entry's weight: held as `~slot` (see EvictionPolicy.recordHits). */
  recordUpdate(slot: number): void {
    this.slots[this.count++] = ~slot;
    if (this.count === READ_BUFFER_SIZE) this.drain();
  }

  drain(): void {
    const n = this.count;
    // Reset first: `apply` must never see a half-drained buffer if it throws.
    this.count = 0;
    if (n > 0) this.apply(this.slots, n);
  }
}
