/**
 * A work queue keyed by `namespace/name`, as controller-runtime's: a key waits at most once in the
 * queue however often it is added; a key is never handled twice at the same time (added while
 * being handled, it runs again after); a failing key is retried with exponential backoff; a
 * handler may ask to be called again after a delay (polling what no watch reports, such as the
 * nodes' hand-off). Timers are injected so the unit tests run on a fake clock.
 */

/** Delay before retry number `failures` (1 = first retry): base * 2^(failures-1), capped. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Keys handled at the same time (never the same key twice). */
  concurrency?: number;
  timers?: Timers;
}

/** What the handler answers: undefined or a delay after which to run the key again. */
export type HandlerResult = { requeueAfterMs?: number } | void;

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Added while being handled: runs again once the handler returns. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; handle: unknown }>();
  private readonly idleWaiters: Array<() => void> = [];
  private shutDown = false;
  private readonly timers: Timers;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly concurrency: number;

  constructor(
    private readonly handler: (key: string) => Promise<HandlerResult>,
    private readonly onError: (key: string, err: unknown, retryInMs: number) => void,
    options: WorkQueueOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.timers = options.timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    };
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.concurrency = options.concurrency ?? 2;
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shutDown) return;
    const pending = this.delayed.get(key);
    if (pending) {
      this.timers.clearTimeout(pending.handle);
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Adds `key` after `ms`; an earlier pending time wins over a later one. */
  addAfter(key: string, ms: number): void {
    if (this.shutDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.now() + ms;
    const pending = this.delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) this.timers.clearTimeout(pending.handle);
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Drops every pending key and timer; keys being handled finish. */
  shutdown(): void {
    this.shutDown = true;
    for (const { handle } of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    this.queue.length = 0;
    this.queued.clear();
    this.dirty.clear();
    this.notifyIdle();
  }

  /** Resolves once nothing is being handled (after shutdown: once the last handler returned). */
  idle(): Promise<void> {
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (!this.shutDown && this.processing.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.processing.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let again: number | undefined;
    try {
      const result = await this.handler(key);
      this.failures.delete(key);
      again = result ? result.requeueAfterMs : undefined;
    } catch (err) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      again = backoffDelay(failures, this.baseDelayMs, this.maxDelayMs);
      this.onError(key, err, again);
    }
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
    else if (again !== undefined) this.addAfter(key, again);
    this.notifyIdle();
    this.pump();
  }

  private notifyIdle(): void {
    if (this.processing.size > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
