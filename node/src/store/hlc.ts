/**
 * A hybrid logical clock whose readings are plain numbers: `ms * 1024 + counter`.
 *
 * 43 bits of milliseconds and a 10-bit logical counter stay below 2^53, so versions compare
 * with `<` and travel as JSON numbers, until the year 2248. `now()` strictly increases even
 * when the wall clock stalls or steps back; `observe()` merges a version seen from a peer so
 * that this node's next version is higher (last writer wins across nodes).
 */
export const LOGICAL_BITS = 10;
const LOGICAL_SPAN = 2 ** LOGICAL_BITS;

export class HybridLogicalClock {
  private last = 0;

  constructor(private readonly wallClock: () => number = Date.now) {}

  now(): number {
    const physical = Math.floor(this.wallClock()) * LOGICAL_SPAN;
    this.last = physical > this.last ? physical : this.last + 1;
    return this.last;
  }

  observe(remote: number): void {
    if (Number.isSafeInteger(remote) && remote > this.last) this.last = remote;
  }
}

/** The wall-clock milliseconds of a version. */
export function versionMillis(version: number): number {
  return Math.floor(version / LOGICAL_SPAN);
}
