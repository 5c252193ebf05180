/** The trace readers follow SOURCES.md: exact request and unique-key counts, exact LRU figures. */
import { simulate } from '../../../bench/simulate.js';
import { readTrace } from '../../../bench/traces/read.js';
import { tracePath } from '../../../bench/traces/location.js';

const unique = (keys: Float64Array) => new Set(keys).size;

describe.each([
  ['gli.trace.gz', 6015, 2529],
  ['cs.trace.gz', 6781, 1409],
  ['cpp.trace.gz', 9047, 1223],
  ['multi2.trace.gz', 26311, 5684],
  ['2_pools.trace.gz', 100000, 9939],
  ['web07.trace.xz', 76118, 20484],
])('%s', (file, requests, distinct) => {
  it(`has ${requests} requests over ${distinct} keys`, () => {
    const { keys } = readTrace(tracePath(file));
    expect(keys.length).toBe(requests);
    expect(unique(keys)).toBe(distinct);
  });
});

it('expands ARC lines into count requests (OLTP: 914,145 over 186,880 keys)', () => {
  const { keys } = readTrace(tracePath('OLTP.lis.zst'));
  expect(keys.length).toBe(914_145);
  expect(unique(keys)).toBe(186_880);
});

it.each([
  ['gli.trace.gz', 1000, 11.21],
  ['gli.trace.gz', 1500, 36.56],
  ['cpp.trace.gz', 50, 9.26],
  ['sprite.trace.gz', 400, 70.77],
  ['web07.trace.xz', 300, 41.9],
  ['OLTP.lis.zst', 1000, 32.83],
])('exact LRU on %s at %i is %f', (file, size, expected) => {
  const result = simulate(readTrace(tracePath(file)), size, 'lru');
  expect(result.hitRatio.toFixed(2)).toBe(expected.toFixed(2));
});
