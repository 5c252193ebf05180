import { StallDetector } from '../../src/cluster/stall-detector.js';

describe('StallDetector', () => {
  const make = () => {
    const clock = { now: 10_000 };
    const detector = new StallDetector(() => clock.now, 1000, undefined);
    const run = (ms: number, tickMs = 100) => {
      for (let t = 0; t < ms; t += tickMs) {
        clock.now += tickMs;
        detector.tick();
      }
    };
    return { clock, detector, run };
  };

  it('sees no stall while the ticks come on time', () => {
    const { clock, detector, run } = make();
    const started = clock.now;
    run(5000);
    expect(detector.stalledSince(started)).toBe(false);
  });

  it('excuses a call that spanned a freeze, before and after the first tick that notices it', () => {
    const { clock, detector, run } = make();
    run(500);
    const started = clock.now;
    clock.now += 3000; // frozen: no tick ran
    // The call's overdue timeout fires before the detector's overdue tick.
    expect(detector.stalledSince(started)).toBe(true);
    detector.tick();
    expect(detector.stalledSince(started)).toBe(true);
    run(300);
    expect(detector.stalledSince(started)).toBe(true);
  });

  it('does not excuse a call that started after the freeze was over', () => {
    const { clock, detector, run } = make();
    clock.now += 3000;
    detector.tick();
    run(200);
    const started = clock.now;
    run(1500);
    expect(detector.stalledSince(started)).toBe(false);
  });

  it('a gap at or under the threshold is not a stall', () => {
    const { clock, detector } = make();
    const started = clock.now;
    clock.now += 1000;
    expect(detector.stalledSince(started)).toBe(false);
    detector.tick();
    expect(detector.stalledSince(started)).toBe(false);
  });
});
