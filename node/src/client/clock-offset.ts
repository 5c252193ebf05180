/**
 * The nodes' clock as the client sees it, measured from their answers the way NTP does: each
 * answer carries the node's time (`X-Ringcache-Time`), and the sample with the shortest round
 * trip is the most exact (the node's reading lies within half a round trip of its midpoint).
 * The client needs it for `X-Ringcache-Deadline`, which a node compares with its own clock.
 * Round trips and the offset are taken against a monotonic clock, so a step of the client's
 * wall clock changes nothing; the wall clock serves only before the first answer.
 */

/** A best sample older than this is replaced by the next one, however slow: clocks drift. */
export const OFFSET_MAX_AGE_MS = 60_000;

interface Sample {
  /** The nodes' clock minus the monotonic clock at the round trip's midpoint (ms). */
  offset: number;
  roundTrip: number;
  /** When it was taken, on the monotonic clock. */
  at: number;
}

export class ClockOffset {
  private best: Sample | undefined;

  /** An answer sent at `sentAt` and received at `receivedAt` (monotonic ms) said `nodeTime`. */
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
   * `delayMs` from now on the nodes' clock, never later than it will be there (the estimate's
   * error, half the round trip, is taken off); before any answer, on the wall clock `wallNow`.
   */
  fromNow(delayMs: number, monotonicNow: number, wallNow: number): number {
    const best = this.best;
    if (best === undefined) return Math.floor(wallNow + delayMs);
    return Math.floor(monotonicNow + delayMs + best.offset - best.roundTrip / 2);
  }
}
