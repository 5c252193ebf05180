import { FrequencySketch } from '../../src/store/policy/sketch.js';

describe('FrequencySketch', () => {
  it('counts up to 15 and saturates', () => {
    const sketch = new FrequencySketch(1024);
    for (let i = 0; i < 10; i++) sketch.increment(42);
    expect(sketch.frequency(42)).toBe(10);
    for (let i = 0; i < 100; i++) sketch.increment(42);
    expect(sketch.frequency(42)).toBe(15);
    expect(sketch.frequency(43)).toBe(0);
  });

  it('says when an increment found every counter of the key at 15, and changes nothing then', () => {
    const sketch = new FrequencySketch(1024);
    for (let i = 0; i < 15; i++) expect(sketch.increment(42)).toBe(false);
    const others = [43, 44, 45].map((k) => sketch.frequency(k));
    expect(sketch.increment(42)).toBe(true);
    expect(sketch.frequency(42)).toBe(15);
    expect([43, 44, 45].map((k) => sketch.frequency(k))).toEqual(others);
  });

  it('moves to a new epoch whenever counters may go down: a halving or a clear', () => {
    const sketch = new FrequencySketch(16);
    const start = sketch.epoch;
    for (let i = 0; i < 20; i++) sketch.increment(42);
    sketch.ensureCapacity(1024); // growing keeps every count: same epoch
    expect(sketch.epoch).toBe(start);
    sketch.halve();
    expect(sketch.epoch).toBe(start + 1);
    expect(sketch.increment(42)).toBe(false); // 7 after the halving
    sketch.clear();
    expect(sketch.epoch).toBe(start + 2);
  });

  it('halves every counter after 10x its capacity in additions', () => {
    const sketch = new FrequencySketch(16); // sample size 160
    for (let i = 0; i < 12; i++) sketch.increment(7);
    expect(sketch.frequency(7)).toBe(12);
    // 148 more additions of distinct keys reach the sample size; the last one halves.
    for (let i = 0; i < 147; i++) sketch.increment(1000 + i);
    const before = sketch.frequency(7);
    expect(before).toBeGreaterThanOrEqual(12);
    sketch.increment(5000);
    expect(sketch.frequency(7)).toBe(before >> 1);
  });

  it('grows without forgetting: every estimate is the same after doubling, and after growing 64x', () => {
    const sketch = new FrequencySketch(16);
    const keys = Array.from({ length: 40 }, (_, i) => Math.imul(i + 1, 0x9e3779b1));
    keys.forEach((key, i) => {
      for (let n = 0; n < 1 + (i % 9); n++) sketch.increment(key);
    });
    const before = keys.map((key) => sketch.frequency(key));
    expect(Math.max(...before)).toBeGreaterThanOrEqual(9);
    sketch.ensureCapacity(32);
    expect(sketch.capacity).toBe(32);
    expect(keys.map((key) => sketch.frequency(key))).toEqual(before);
    sketch.ensureCapacity(2048);
    expect(keys.map((key) => sketch.frequency(key))).toEqual(before);
  });

  it('halves at 10x its new size once grown, counting the additions made before', () => {
    const sketch = new FrequencySketch(16); // sample size 160
    for (let i = 0; i < 100; i++) sketch.increment(i);
    sketch.ensureCapacity(32); // sample size 320: 220 more additions reach it
    for (let i = 0; i < 12; i++) sketch.increment(7777);
    for (let i = 0; i < 207; i++) sketch.increment(10_000 + i);
    const before = sketch.frequency(7777);
    sketch.increment(99_999);
    expect(sketch.frequency(7777)).toBe(before >> 1);
  });

  it("puts a key's four counters in one 64-byte block, one in each quarter of it", () => {
    const sketch = new FrequencySketch(1024);
    const table = (sketch as unknown as { table: Uint32Array }).table;
    for (let k = 0; k < 200; k++) {
      table.fill(0);
      sketch.increment(Math.imul(k + 1, 0x9e3779b1));
      const touched: number[] = [];
      table.forEach((counters, word) => counters !== 0 && touched.push(word));
      const blocks = new Set(touched.map((word) => Math.floor(word / 16)));
      const quarters = new Set(touched.map((word) => Math.floor((word % 16) / 4)));
      expect({ words: touched.length, blocks: blocks.size, quarters: quarters.size }).toEqual({
        words: 4,
        blocks: 1,
        quarters: 4,
      });
    }
  });

  it('keeps estimates of distinct keys apart at its sized capacity (few collisions)', () => {
    const sketch = new FrequencySketch(4096);
    for (let k = 0; k < 4096; k++) sketch.increment(k * 2654435761);
    let overestimated = 0;
    for (let k = 0; k < 4096; k++) if (sketch.frequency(k * 2654435761) > 1) overestimated++;
    expect(overestimated).toBeLessThan(41); // under 1%
  });
});
