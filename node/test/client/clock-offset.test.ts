/** The client's estimate of the nodes' clock (clock-offset.ts). Pure. */
import { ClockOffset, OFFSET_MAX_AGE_MS } from '../../src/client/clock-offset.js';

test('before any answer, times pass unchanged', () => {
  expect(new ClockOffset().onNodes(1000)).toBe(1000);
});

test('the offset comes from the round trip midpoint, less half the round trip, so it is never late', () => {
  const clock = new ClockOffset();
  // The nodes are 10 s ahead; the answer took 40 ms there and back.
  clock.sample(1000, 1040, 11_020);
  expect(clock.onNodes(2000)).toBe(2000 + 10_000 - 20);
});

test('a faster round trip is more exact and wins; an old best gives way to the next sample', () => {
  const clock = new ClockOffset();
  clock.sample(0, 100, 5_050); // offset 5000 +- 50
  clock.sample(200, 210, 5_206); // offset 5001 +- 5: better
  expect(clock.onNodes(1000)).toBe(1000 + 5001 - 5);
  clock.sample(300, 400, 5_350); // slower: ignored
  expect(clock.onNodes(1000)).toBe(1000 + 5001 - 5);
  const later = 210 + OFFSET_MAX_AGE_MS + 1;
  clock.sample(later, later + 100, later + 50 + 3_000); // the clocks moved; the old best is stale
  expect(clock.onNodes(1000)).toBe(1000 + 3000 - 50);
});

test('answers without a time, or with a round trip that runs backwards, are ignored', () => {
  const clock = new ClockOffset();
  clock.sample(0, 10, NaN);
  clock.sample(10, 0, 5_000);
  expect(clock.onNodes(1000)).toBe(1000);
});
