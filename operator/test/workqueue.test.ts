import { WorkQueue, backoffDelay, type HandlerResult, type Timers } from '../src/runtime/workqueue.js';

test('backoffDelay doubles from the base up to the cap', () => {
  expect([0, 1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, 500, 10_000))).toEqual([
    0, 500, 1000, 2000, 4000, 8000, 10_000, 10_000,
  ]);
  expect(backoffDelay(500, 500, 60_000)).toBe(60_000);
});

/** Fake timers: time moves only when the test says. */
class FakeTimers implements Timers {
  now = 0;
  private next = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  pending(): number[] {
    return [...this.timers.values()].map((t) => t.at - this.now).sort((a, b) => a - b);
  }
  async advance(ms: number): Promise<void> {
    this.now += ms;
    for (const [id, t] of [...this.timers].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= this.now) {
        this.timers.delete(id);
        t.fn();
      }
    }
    await settle();
  }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function harness(handler: (key: string) => Promise<HandlerResult>) {
  const timers = new FakeTimers();
  const errors: Array<[string, number]> = [];
  const queue = new WorkQueue(
    handler,
    (key, _err, retryInMs) => errors.push([key, retryInMs]),
    { baseDelayMs: 100, maxDelayMs: 1000, timers },
    () => timers.now,
  );
  return { timers, errors, queue };
}

test('a failing key is retried with exponential backoff; success resets it', async () => {
  let fail = 4;
  const runs: number[] = [];
  const { timers, errors, queue } = harness(async () => {
    runs.push(timers.now);
    if (fail-- > 0) throw new Error('boom');
  });
  queue.add('ns/a');
  await settle();
  for (let i = 0; i < 20; i++) await timers.advance(100);
  expect(errors).toEqual([
    ['ns/a', 100],
    ['ns/a', 200],
    ['ns/a', 400],
    ['ns/a', 800],
  ]);
  expect(runs).toEqual([0, 100, 300, 700, 1500]);
  expect(timers.pending()).toEqual([]);
  fail = 1;
  queue.add('ns/a');
  await settle();
  expect(errors.at(-1)).toEqual(['ns/a', 100]);
});

test('a key waits once however often it is added, and is never handled twice at once', async () => {
  const release: Array<() => void> = [];
  const runs: string[] = [];
  const { queue } = harness(
    (key) =>
      new Promise<void>((resolve) => {
        runs.push(key);
        release.push(resolve);
      }),
  );
  queue.add('ns/a');
  await settle();
  // While ns/a is handled, more adds of it make one more run afterwards, not three.
  queue.add('ns/a');
  queue.add('ns/a');
  queue.add('ns/a');
  queue.add('ns/b'); // starts at once (two workers)
  queue.add('ns/b'); // added while handled: once more after
  await settle();
  expect(runs).toEqual(['ns/a', 'ns/b']);
  release.shift()!();
  await settle();
  expect(runs).toEqual(['ns/a', 'ns/b', 'ns/a']);
  release.splice(0).forEach((r) => r());
  await settle();
  expect(runs).toEqual(['ns/a', 'ns/b', 'ns/a', 'ns/b']);
  release.splice(0).forEach((r) => r());
  await settle();
  expect(runs).toEqual(['ns/a', 'ns/b', 'ns/a', 'ns/b']);
  expect(queue.length).toBe(0);
});

test('requeueAfterMs runs the key again later; an earlier add wins; shutdown drops what waits', async () => {
  const runs: number[] = [];
  const { timers, queue } = harness(async () => {
    runs.push(timers.now);
    return { requeueAfterMs: 1000 };
  });
  queue.add('ns/a');
  await settle();
  expect(timers.pending()).toEqual([1000]);
  await timers.advance(300);
  queue.addAfter('ns/a', 200); // sooner than the pending 700: replaces it
  expect(timers.pending()).toEqual([200]);
  await timers.advance(200);
  expect(runs).toEqual([0, 500]);
  queue.shutdown();
  expect(timers.pending()).toEqual([]);
  queue.add('ns/a');
  await settle();
  expect(runs).toEqual([0, 500]);
  await queue.idle();
});
