/**
 * Long random operation sequences against a simple model: the byte bound always holds, the
 * counted bytes equal what the live entries are charged, and every live key reads back the
 * last value written to it; nothing expired or deleted is ever returned.
 */
import fc from 'fast-check';
import { Store } from '../../src/store/index.js';
import { utf8Length } from '../../src/store/hash.js';
import { POLICY_NAMES } from '../../src/store/options.js';
import { createPolicy } from '../../src/store/policy/index.js';

type Op =
  | { kind: 'set'; key: string; size: number; ttl: number }
  | { kind: 'get' | 'delete'; key: string }
  | { kind: 'tick'; ms: number }
  | { kind: 'expire' };

const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      key: keyArb,
      size: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 60_000, max: 70_000 })),
      ttl: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 50 })),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 20 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const) }) },
);

const usable = POLICY_NAMES.filter((name) => {
  try {
    createPolicy(name, { capacity: 1, onEvict: () => {} });
    return true;
  } catch {
    return false;
  }
});

describe.each(usable)('byte bound under random operations (%s)', (policy) => {
  it('holds, with exact accounting and no stale reads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2_000, max: 200_000 }),
        fc.array(opArb, { maxLength: 300 }),
        (maxMemory, ops) => {
          let now = 1_000;
          let seed = 7;
          const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
          const store = new Store({ maxMemory, policy, now: () => now, random, maxValueBytes: 1 << 20 });
          const model = new Map<string, { fill: number; size: number; expiresAt: number }>();
          let fill = 0;
          for (const op of ops) {
            if (op.kind === 'set') {
              fill = (fill + 1) % 251;
              const value = Buffer.alloc(op.size, fill);
              try {
                store.set(op.key, value, op.ttl > 0 ? { ttlMs: op.ttl } : undefined);
                model.set(op.key, { fill, size: op.size, expiresAt: op.ttl > 0 ? now + op.ttl : 0 });
              } catch {
                // Refused (too large for this bound): the old entry must be untouched, as modelled.
              }
            } else if (op.kind === 'get') {
              const got = store.get(op.key);
              const want = model.get(op.key);
              if (got !== undefined) {
                expect(want).toBeDefined();
                expect(want!.expiresAt === 0 || want!.expiresAt > now).toBe(true);
                expect(got.value.length).toBe(want!.size);
                if (want!.size > 0) expect(got.value[0]).toBe(want!.fill);
              }
            } else if (op.kind === 'delete') {
              store.delete(op.key);
              model.delete(op.key);
            } else if (op.kind === 'tick') now += op.ms;
            else store.expire();

            expect(store.bytes).toBeLessThanOrEqual(maxMemory);
            let charged = 0;
            for (const key of store.keys()) {
              const entry = store.peek(key)!;
              charged += Store.entryBytes(utf8Length(key), entry.value.length);
              const want = model.get(key);
              expect(want).toBeDefined();
              expect(entry.value.length).toBe(want!.size);
            }
            // Expired entries not yet collected still count until `expire` collects them.
            expect(store.bytes).toBeGreaterThanOrEqual(charged);
            if (op.kind === 'expire') expect(store.bytes).toBe(charged);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
