/** Anti-entropy's pure rules: range digests, their comparison, and what each side sends. */
import fc from 'fast-check';
import {
  addToDigests,
  compareVersions,
  differingRanges,
  emptyDigests,
  parseDigests,
  parseRanges,
  parseVersions,
  rangeOf,
  RANGES,
} from '../../src/cluster/anti-entropy.js';
import { murmur3 } from '../../src/ring/hash.js';

function digestsOf(entries: Iterable<readonly [string, number]>): Uint32Array {
  const digests = emptyDigests();
  for (const [key, version] of entries) addToDigests(digests, rangeOf(murmur3(key)), key, version);
  return digests;
}

const entries = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.nat()), {
  selector: ([key]) => key,
  maxLength: 60,
});

test('digests do not depend on the order entries are visited in', () => {
  fc.assert(
    fc.property(entries, (list) => {
      expect(differingRanges(digestsOf(list), digestsOf([...list].reverse()))).toEqual([]);
    }),
  );
});

test('a missing entry, an extra one or another version changes exactly the range of that key', () => {
  fc.assert(
    fc.property(entries, fc.nat({ max: 59 }), (list, pick) => {
      fc.pre(list.length > 0);
      const [key, version] = list[pick % list.length];
      const range = rangeOf(murmur3(key));
      const without = list.filter(([k]) => k !== key);
      const bumped = list.map(([k, v]): [string, number] => [k, k === key ? version + 1 : v]);
      expect(differingRanges(digestsOf(list), digestsOf(without))).toEqual([range]);
      expect(differingRanges(digestsOf(list), digestsOf(bumped))).toEqual([range]);
    }),
  );
});

test('compareVersions: each side gets what it lacks or holds older, equal versions stay put', () => {
  const ours = new Map([
    ['same', 5],
    ['newer-here', 9],
    ['older-here', 1],
    ['only-here', 3],
  ]);
  const theirs: [string, number][] = [
    ['same', 5],
    ['newer-here', 2],
    ['older-here', 4],
    ['only-there', 7],
  ];
  const { theyNeed, weNeed } = compareVersions(ours, theirs);
  expect(theyNeed.sort()).toEqual(['newer-here', 'only-here']);
  expect(weNeed.sort()).toEqual(['older-here', 'only-there']);
});

test("a peer's digests, ranges and versions are checked with exact messages", () => {
  expect(() => parseDigests([1, 2])).toThrow(
    `digests must be an array of ${RANGES * 2} unsigned 32-bit integers`,
  );
  expect(() => parseDigests(new Array(RANGES * 2).fill(-1))).toThrow('unsigned 32-bit integers');
  expect(parseDigests(new Array(RANGES * 2).fill(0xffffffff))).toHaveLength(RANGES * 2);
  expect(() => parseRanges([])).toThrow('ranges must be a non-empty array of integers from 0 to 255');
  expect(() => parseRanges([256])).toThrow('ranges must be a non-empty array of integers from 0 to 255');
  expect(parseRanges([0, 255])).toEqual([0, 255]);
  expect(() => parseVersions([['k', -1]], 10)).toThrow('versions must be an array of [key, version]');
  expect(() => parseVersions([['k', 1, 2]], 10)).toThrow('versions must be an array of [key, version]');
  expect(() =>
    parseVersions(
      [
        ['a', 1],
        ['b', 2],
      ],
      1,
    ),
  ).toThrow('at most 1 versions per request, got 2');
  expect(parseVersions([['k', 3]], 10)).toEqual([['k', 3]]);
});
