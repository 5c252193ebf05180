/**
 * Notices when this process stopped running for a while: frozen (SIGSTOP, `docker pause`, a
 * cgroup freezer), or starved of CPU. A peer call that failed across such a gap says nothing
 * about the peer: its timeout ran out while this process was not running, and the answer may
 * be sitting unread in the socket. Without this, a node that resumes suspects its healthy
 * peers, and for as long as the suspicion lasts its reads skip them and answer from its own
 * copy, which missed every write made while it was frozen.
 *
 * A timer ticks every `tickMs`; a tick that comes more than `thresholdMs` after the previous
 * one marks a stall. Callers ask about a window that started at their call: `stalledSince`
 * also answers true while the first tick after a stall is still due (the overdue timers of
 * the calls may fire before it).
 */
/**
 * Longer than the event loop lags under heavy load here, shorter than a replica timeout: a
 * false alarm only spares a peer one suspicion, a missed stall costs stale reads.
 */
export const STALL_THRESHOLD_MS = 300;
const TICK_MS = 50;

export class StallDetector {
  private lastTick: number;
  private lastStallSeen = Number.NEGATIVE_INFINITY;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number,
    private readonly thresholdMs = STALL_THRESHOLD_MS,
    tickMs: number | undefined = TICK_MS,
  ) {
    this.lastTick = now();
    // Unit tests pass tickMs undefined and call tick() themselves.
    this.timer = tickMs === undefined ? undefined : setInterval(() => this.tick(), tickMs).unref();
  }

  tick(): void {
    const at = this.now();
    if (at - this.lastTick > this.thresholdMs) this.lastStallSeen = at;
    this.lastTick = at;
  }

  /** Whether this process stopped for longer than the threshold at some point since `since`. */
  stalledSince(since: number): boolean {
    return this.now() - this.lastTick > this.thresholdMs || this.lastStallSeen >= since;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
