/** The pure parsers of a key request. */
import { ApiError } from '../../src/http/errors.js';
import {
  decodeKey,
  etagMatches,
  parseEtagCondition,
  parseDeadline,
  parseTtl,
  refusedByAnyCopy,
  writeAllowed,
} from '../../src/http/request-parts.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as ApiError).code;
  }
  return 'no error';
};

test('keys decode from one percent-encoded segment', () => {
  expect(decodeKey('plain')).toBe('plain');
  expect(decodeKey('a%2Fb%20c')).toBe('a/b c');
  expect(decodeKey('%E2%9C%93')).toBe('✓');
  expect(codeOf(() => decodeKey('caf\u00e9'))).toBe('INVALID_KEY'); // raw bytes, not percent-encoded
  expect(codeOf(() => decodeKey('%41'.repeat(251)))).toBe('KEY_TOO_LONG');
  expect(decodeKey('%41'.repeat(250))).toBe('A'.repeat(250));
});

test('TTL is a whole number of milliseconds within bounds', () => {
  expect(parseTtl(undefined)).toBeUndefined();
  expect(parseTtl(' 1500 ')).toBe(1500);
  for (const bad of ['0', '', 'abc', '1.0', '+5', '1e3', String(10 * 365 * 24 * 3600 * 1000 + 1)]) {
    expect(codeOf(() => parseTtl(bad))).toBe('INVALID_TTL');
  }
});

test('ETag conditions: *, lists; weak tags match under If-None-Match only', () => {
  expect(parseEtagCondition('If-Match', '*')).toEqual({ any: true });
  expect(parseEtagCondition('If-Match', '"1", "22" ,"333"')).toEqual({ any: false, versions: [1, 22, 333] });
  expect(parseEtagCondition('If-Match', 'W/"5"')).toEqual({ any: false, versions: [] });
  expect(parseEtagCondition('If-None-Match', 'W/"5", "6"')).toEqual({ any: false, versions: [5, 6] });
  expect(parseEtagCondition('If-Match', '"not-ours"')).toEqual({ any: false, versions: [] });
  for (const bad of ['', 'x', '"1" "2"', '"1",,', '"unterminated']) {
    expect(codeOf(() => parseEtagCondition('If-Match', bad))).toBe('INVALID_HEADER');
  }
  expect(etagMatches({ any: true }, undefined)).toBe(false);
  expect(etagMatches({ any: true }, 7)).toBe(true);
  expect(etagMatches({ any: false, versions: [7] }, 7)).toBe(true);
});

test('write preconditions', () => {
  const none = { ifMatch: undefined, ifNoneMatch: undefined };
  const createOnly = { ifMatch: undefined, ifNoneMatch: { any: true as const } };
  const cas = { ifMatch: { any: false as const, versions: [3] }, ifNoneMatch: undefined };
  expect([writeAllowed(none, undefined), writeAllowed(none, 3)]).toEqual([true, true]);
  expect([writeAllowed(createOnly, undefined), writeAllowed(createOnly, 3)]).toEqual([true, false]);
  expect([writeAllowed(cas, undefined), writeAllowed(cas, 3), writeAllowed(cas, 4)]).toEqual([
    false,
    true,
    false,
  ]);
});

test('a precondition is refused on one copy only when no newer copy could satisfy it', () => {
  const ifMatch = (...versions: number[]) => ({
    ifMatch: { any: false as const, versions },
    ifNoneMatch: undefined,
  });
  // Versions only grow: If-Match naming only older versions fails on every replica.
  expect(refusedByAnyCopy(ifMatch(3, 4), 5)).toBe(true);
  // The newest copy may be the named one, or newer than this copy.
  expect(refusedByAnyCopy(ifMatch(3, 6), 5)).toBe(false);
  expect(refusedByAnyCopy(ifMatch(3), undefined)).toBe(false);
  expect(refusedByAnyCopy({ ifMatch: { any: true as const }, ifNoneMatch: undefined }, 5)).toBe(false);
  // A create-only write may find the key deleted on a newer copy.
  expect(refusedByAnyCopy({ ifMatch: undefined, ifNoneMatch: { any: true as const } }, 5)).toBe(false);
});

test('X-Ringcache-Deadline is whole milliseconds since the epoch; absent means no deadline', () => {
  expect(parseDeadline(undefined)).toBe(Infinity);
  expect(parseDeadline(' 1765000000000 ')).toBe(1765000000000);
  for (const bad of ['soon', '-5', '1.5', ''])
    expect(() => parseDeadline(bad)).toThrow(
      `X-Ringcache-Deadline must be a whole number of milliseconds since the epoch, got ${JSON.stringify(bad)}`,
    );
});
