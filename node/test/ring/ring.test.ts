/** The token ring: the documented vectors, and placement properties over random members and keys. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { MemberState, RingDocument } from '../../src/ring/document.js';
import {
  ANY,
  buildRing,
  CURRENT,
  DEFAULT_VNODES,
  movedFraction,
  NEXT,
  ownersOf,
  ownersOfHash,
  type View,
} from '../../src/ring/ring.js';
import { murmur3 } from '../../src/ring/hash.js';
import { ownersForRead, ownersForWrite, primaryOf } from '../../src/ring/ownership.js';

interface RingVectors {
  name: string;
  vnodes: number;
  replicationFactor: number;
  members: Array<{ id: string; state: MemberState }>;
  keys: Array<{
    key: string;
    hash: number;
    current: string[];
    next: string[];
    owners: string[];
    primary: string;
  }>;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as {
  rings: RingVectors[];
};
const page = readFileSync(new URL('../../../docs/ring.md', import.meta.url), 'utf8');

const documentOf = (
  members: Array<{ id: string; state: MemberState }>,
  replicationFactor = 2,
): RingDocument => ({
  epoch: 1,
  replicationFactor,
  members: members.map(({ id, state }) => ({ id, address: `${id}:8080`, state })),
});

describe('test vectors (docs/ring.md)', () => {
  test('the vectors use the default vnodes and cover every state', () => {
    expect(vectors.rings.map((r) => r.vnodes)).toEqual(vectors.rings.map(() => DEFAULT_VNODES));
    const states = new Set(vectors.rings.flatMap((r) => r.members.map((m) => m.state)));
    expect([...states].sort()).toEqual(['active', 'joining', 'leaving']);
  });

  test.each(vectors.rings.map((r) => [r.name, r] as const))(
    '%s: owners in each view, any member order',
    (_, r) => {
      const forward = buildRing(documentOf(r.members, r.replicationFactor), { vnodes: r.vnodes });
      const reversed = buildRing(documentOf([...r.members].reverse(), r.replicationFactor), {
        vnodes: r.vnodes,
      });
      for (const ring of [forward, reversed]) {
        for (const v of r.keys) {
          expect(murmur3(v.key)).toBe(v.hash);
          expect({
            key: v.key,
            current: ownersOf(ring, v.key, r.replicationFactor, CURRENT),
            next: ownersOf(ring, v.key, r.replicationFactor, NEXT),
            owners: ownersForWrite(ring, v.key),
            read: ownersForRead(ring, v.key),
            primary: primaryOf(ring, v.key),
          }).toEqual({
            key: v.key,
            current: v.current,
            next: v.next,
            owners: v.owners,
            read: v.owners,
            primary: v.primary,
          });
        }
      }
      for (const v of r.keys) {
        const key = JSON.stringify(v.key.length > 40 ? `${v.key.slice(0, 12)}...` : v.key);
        expect(page).toContain(
          `| ${key} | ${v.hash} | ${v.current.join(', ')} | ${v.next.join(', ')} | ${v.owners.join(', ')} |`,
        );
      }
    },
  );
});

describe('placement properties', () => {
  const VNODES = 16;
  const ids = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,9}$/), { minLength: 1, maxLength: 9 });
  const keys = fc.array(fc.string({ minLength: 1, maxLength: 24 }), { minLength: 1, maxLength: 40 });
  const state = fc.constantFrom<MemberState>('joining', 'active', 'leaving');
  const members = ids.chain((list) =>
    fc.tuple(...list.map((id) => state.map((s) => ({ id, state: s })))).map((ms) => ms),
  );
  const view = fc.constantFrom<View>(CURRENT, NEXT, ANY);
  const inView = (s: MemberState, v: View) =>
    v === ANY || (v === CURRENT ? s !== 'joining' : s !== 'leaving');

  test('owners are distinct members of the view, as many as asked or as the view has', () => {
    fc.assert(
      fc.property(members, keys, fc.integer({ min: 0, max: 6 }), view, (ms, ks, count, v) => {
        const ring = buildRing(documentOf(ms), { vnodes: VNODES });
        const eligible = ms.filter((m) => inView(m.state, v)).map((m) => m.id);
        for (const key of ks) {
          const owners = ownersOf(ring, key, count, v);
          expect(owners.length).toBe(Math.min(count, eligible.length));
          expect(new Set(owners).size).toBe(owners.length);
          for (const owner of owners) expect(eligible).toContain(owner);
        }
      }),
    );
  });

  test('placement does not depend on the order of members in the document', () => {
    const shuffled = members.chain((ms) =>
      fc.tuple(fc.constant(ms), fc.shuffledSubarray(ms, { minLength: ms.length, maxLength: ms.length })),
    );
    fc.assert(
      fc.property(shuffled, keys, view, ([ms, other], ks, v) => {
        const a = buildRing(documentOf(ms, 3), { vnodes: VNODES });
        const b = buildRing(documentOf(other, 3), { vnodes: VNODES });
        for (const key of ks) {
          expect(ownersOf(b, key, 3, v)).toEqual(ownersOf(a, key, 3, v));
          expect(ownersForWrite(b, key)).toEqual(ownersForWrite(a, key));
        }
      }),
    );
  });

  test('a view places keys exactly as a ring of only its members would', () => {
    fc.assert(
      fc.property(members, keys, view, fc.integer({ min: 1, max: 4 }), (ms, ks, v, count) => {
        const ring = buildRing(documentOf(ms), { vnodes: VNODES });
        const alone = buildRing(
          ms.filter((m) => inView(m.state, v)).map((m) => m.id),
          { vnodes: VNODES },
        );
        for (const key of ks) expect(ownersOf(ring, key, count, v)).toEqual(ownersOf(alone, key, count));
      }),
    );
  });

  test('adding a member only moves keys to it', () => {
    fc.assert(
      fc.property(
        ids,
        fc.stringMatching(/^new-[a-z]{1,6}$/),
        keys,
        fc.integer({ min: 1, max: 4 }),
        (list, extra, ks, count) => {
          const before = buildRing(list, { vnodes: VNODES });
          const after = buildRing([...list, extra], { vnodes: VNODES });
          for (const key of ks) {
            const a = ownersOf(before, key, count);
            const b = ownersOf(after, key, count);
            if (b.includes(extra)) {
              // The newcomer takes one place; the others keep their order.
              expect(b.filter((id) => id !== extra)).toEqual(a.slice(0, b.length - 1));
            } else {
              expect(b).toEqual(a);
            }
          }
        },
      ),
    );
  });

  test('removing a member only moves keys from it', () => {
    const withVictim = ids.chain((list) => fc.tuple(fc.constant(list), fc.constantFrom(...list)));
    fc.assert(
      fc.property(withVictim, keys, fc.integer({ min: 1, max: 4 }), ([list, victim], ks, count) => {
        const before = buildRing(list, { vnodes: VNODES });
        const after = buildRing(
          list.filter((id) => id !== victim),
          { vnodes: VNODES },
        );
        for (const key of ks) {
          const a = ownersOf(before, key, count);
          const b = ownersOf(after, key, count);
          if (a.includes(victim)) {
            expect(b.slice(0, a.length - 1)).toEqual(a.filter((id) => id !== victim));
          } else {
            expect(b).toEqual(a);
          }
        }
      }),
    );
  });
});

describe('the ring itself', () => {
  test('tokens ascend, every member places vnodes of them, owners index the sorted ids', () => {
    const ring = buildRing(['c', 'a', 'b'], { vnodes: 100 });
    expect(ring.ids).toEqual(['a', 'b', 'c']);
    expect(ring.tokens.length).toBe(300);
    for (let i = 1; i < ring.tokens.length; i++)
      expect(ring.tokens[i]).toBeGreaterThanOrEqual(ring.tokens[i - 1]);
    const counts = [0, 0, 0];
    ring.owners.forEach((m, i) => {
      counts[m]++;
      expect(ring.tokens[i]).toBe(murmur3(`${ring.ids[m]}#${tokenIndex(ring.ids[m], ring.tokens[i])}`));
    });
    expect(counts).toEqual([100, 100, 100]);
  });

  test('a lookup starts at the first token >= the hash, at the edges of tokens and buckets too', () => {
    for (const [size, vnodes] of [
      [1, 1],
      [2, 3],
      [3, 100],
      [64, 2048],
    ]) {
      const ring = buildRing(
        Array.from({ length: size }, (_, i) => `m-${i}`),
        { vnodes },
      );
      const { tokens, owners, ids } = ring;
      const naive = (hash: number) => {
        const i = tokens.findIndex((t) => t >= hash);
        return ids[owners[i < 0 ? 0 : i]];
      };
      const probes = [0, 1, 0xffffffff, 0xfffffffe, 2 ** 31, 2 ** 16, 2 ** 16 - 1];
      for (let i = 0; i < tokens.length; i += Math.ceil(tokens.length / 300)) {
        probes.push(tokens[i], tokens[i] + 1, Math.max(0, tokens[i] - 1));
      }
      for (let b = 0; b < 300; b++) {
        const spread = Math.imul(b, 0x9e3779b9) >>> 0;
        probes.push((spread & ~0xffff) >>> 0, (spread | 0xffff) >>> 0);
      }
      for (const hash of probes) expect([hash, ownersOfHash(ring, hash, 1)[0]]).toEqual([hash, naive(hash)]);
    }
  });

  test('lookups fill the caller array in place and stay right past the stamp wrap-around', () => {
    const ring = buildRing(['a', 'b', 'c', 'd'], { vnodes: 32 });
    const expected = Array.from({ length: 50 }, (_, i) => ownersOf(ring, `k${i}`, 3));
    const out: string[] = ['stale'];
    ring.scratch.stamp = 0xffffffff - 20;
    for (let i = 0; i < 50; i++) {
      expect(ownersOf(ring, `k${i}`, 3, ANY, out)).toBe(out);
      expect(out).toEqual(expected[i]);
    }
    expect(ring.scratch.stamp).toBeLessThan(100);
  });

  test('an empty ring or view has no owners', () => {
    expect(ownersOf(buildRing([]), 'k', 2)).toEqual([]);
    const joiningOnly = buildRing(documentOf([{ id: 'a', state: 'joining' }]), { vnodes: 8 });
    expect(ownersOf(joiningOnly, 'k', 2, CURRENT)).toEqual([]);
    expect(ownersOf(joiningOnly, 'k', 2, NEXT)).toEqual(['a']);
  });

  test('bad arguments are refused', () => {
    expect(() => buildRing(['a'], { vnodes: 0 })).toThrow('vnodes must be >= 1, got 0');
    expect(() => buildRing(['a', 'b', 'a'])).toThrow('member a appears twice');
    expect(() => buildRing(['a'], { replicationFactor: 0 })).toThrow('replicationFactor must be >= 1, got 0');
    expect(() => buildRing(['a', 'b'], { vnodes: 1 << 24 })).toThrow('a ring holds at most 16777216 tokens');
  });

  test('movedFraction counts the keys whose owner sets differ', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `key:${i}`);
    const three = buildRing(['a', 'b', 'c'], { vnodes: 64 });
    const four = buildRing(['a', 'b', 'c', 'd'], { vnodes: 64 });
    expect(movedFraction(three, three, keys)).toBe(0);
    const toD = keys.filter((key) => ownersOf(four, key, 1)[0] === 'd').length / keys.length;
    expect(movedFraction(three, four, keys)).toBe(toD);
    const withD = keys.filter((key) => ownersOf(four, key, 2).includes('d')).length / keys.length;
    expect(movedFraction(three, four, keys, 2)).toBe(withD);
    expect(movedFraction(three, four, [])).toBe(0);
  });
});

/** Which of member `id`'s tokens sits at `token` (searching its first 100). */
function tokenIndex(id: string, token: number): number {
  for (let i = 0; i < 100; i++) if (murmur3(`${id}#${i}`) === token) return i;
  return -1;
}
