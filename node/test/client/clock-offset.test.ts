/** The client's estimate of the nodes' clock (clock-offset.ts). Pure. */
import { ClockOffset, OFFSET_MAX_AGE_MS } from '../../src/client/clock-offset.js';

test('before any answer, a deadline is on the wall clock', () => {
  expect(new ClockOffset().fromNow(500, 7, 1000)).toBe(1500);
});

test('the offset comes from the round trip midpoint, less half the round trip, so it is never late', () => {
  const clock = new ClockOffset();
  // Monotonic 1000 -> 1040 there and back; the node read 11 020 in between.
  clock.sample(1000, 1040, 11_020);
  expect(clock.fromNow(500, 2000, 0)).toBe(2000 + 500 + 10_000 - 20);
});

test('a step of the wall clock changes nothing once an answer was sampled', () => {
  const clock = new ClockOffset();
  clock.sample(1000, 1002, 50_001);
  const before = clock.fromNow(500, 3000, 60_000);
  expect(clock.fromNow(500, 3000, 60_000 - 3_600_000)).toBe(before);
});

test('a faster round trip is more exact and wins; an old best gives way to the next sample', () => {
  const clock = new ClockOffset();
  clock.sample(0, 100, 5_050); // offset 5000 +- 50
  clock.sample(200, 210, 5_206); // offset 5001 +- 5: better
  expect(clock.fromNow(0, 1000, 0)).toBe(1000 + 5001 - 5);
  clock.sample(300, 400, 5_350); // slower: ignored
  expect(clock.fromNow(0, 1000, 0)).toBe(1000 + 5001 - 5);
  const later = 210 + OFFSET_MAX_AGE_MS + 1;
  clock.sample(later, later + 100, later + 50 + 3_000); // the nodes' clock moved; the old best is stale
  expect(clock.fromNow(0, 1000, 0)).toBe(1000 + 3000 - 50);
});

test('answers without a time, or with a round trip that runs backwards, are ignored', () => {
  const clock = new ClockOffset();
  clock.sample(0, 10, NaN);
  clock.sample(10, 0, 5_000);
  expect(clock.fromNow(500, 7, 1000)).toBe(1500);
});
