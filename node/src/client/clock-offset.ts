/**
 * The nodes' clock as the client sees it, measured from their answers the way NTP does: each
 * answer carries the node's time (`X-Ringcache-Time`), and the sample with the shortest round
 * trip is the most exact (the node's reading lies within half a round trip of its midpoint).
 * The client needs it for `X-Ringcache-Deadline`, which a node compares with its own clock.
 */

/** A best sample older than this is replaced by the next one, however slow: clocks drift. */
export const OFFSET_MAX_AGE_MS = 60_000;

interface Sample {
  /** The nodes' clock minus ours at the round trip's midpoint (ms). */
  offset: number;
  roundTrip: number;
  /** When it was taken, on our clock. */
  at: number;
}

export class ClockOffset {
  private best: Sample | undefined;

  /** An answer sent at `sentAt` and received at `receivedAt` (our clock) said `nodeTime`. */
  sample(sentAt: number, receivedAt: number, nodeTime: number): void {
    if (!Number.isFinite(nodeTime) || receivedAt < sentAt) return;
    const sample = {
      offset: nodeTime - (sentAt + receivedAt) / 2,
      roundTrip: receivedAt - sentAt,
      at: receivedAt,
    };
    const best = this.best;
    if (best === undefined || sample.roundTrip <= best.roundTrip || receivedAt - best.at > OFFSET_MAX_AGE_MS)
      this.best = sample;
  }

  /**
   * `ms` of our clock on the nodes' clock, never later than it is there: the estimate's error
   * (half the round trip) is taken off. Unchanged until an answer was sampled.
   */
  onNodes(ms: number): number {
    const best = this.best;
    return best === undefined ? ms : Math.floor(ms + best.offset - best.roundTrip / 2);
  }
}
