/** The ring: documented test vectors, placement properties, the ring document's validation. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { murmur3 } from '../../src/ring/hash.js';
import { buildRing, ownersOf } from '../../src/ring/ring.js';
import { isNewerRing, parseRingDocument, type RingDocument } from '../../src/ring/document.js';
import { acksNeeded, placementOf, replicasOf, satisfied } from '../../src/ring/placement.js';

interface Vectors {
  hashes: Array<{ input: string; murmur3: number }>;
  rings: Array<{
    members: string[];
    vnodes: number;
    replicationFactor: number;
    keys: Array<{ key: string; hash: number; owners: string[] }>;
  }>;
}
const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as Vectors;
const doc = readFileSync(new URL('../../../docs/ring.md', import.meta.url), 'utf8');

describe('test vectors (docs/ring.md)', () => {
  test('murmur3 matches the reference values', () => {
    // Published MurmurHash3_x86_32 values, seed 0.
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
    for (const { input, murmur3: expected } of vectors.hashes) {
      expect(murmur3(input)).toBe(expected);
      expect(doc).toContain(`| ${JSON.stringify(input)} | ${expected} |`);
    }
  });

  test('owners match the vectors, whatever the order members are given in', () => {
    for (const ring of vectors.rings) {
      const forward = buildRing(ring.members, ring.vnodes);
      const reversed = buildRing([...ring.members].reverse(), ring.vnodes);
      for (const { key, hash, owners } of ring.keys) {
        expect(murmur3(key)).toBe(hash);
        expect(ownersOf(forward, key, ring.replicationFactor)).toEqual(owners);
        expect(ownersOf(reversed, key, ring.replicationFactor)).toEqual(owners);
        expect(doc).toContain(`| ${JSON.stringify(key)} | ${hash} | ${owners.join(', ')} |`);
      }
    }
  });
});

describe('placement properties', () => {
  const members = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/), { minLength: 1, maxLength: 8 });
  const keys = fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 30 });

  test('owners are distinct members, as many as asked or as there are', () => {
    fc.assert(
      fc.property(members, keys, fc.integer({ min: 1, max: 5 }), (ids, ks, rf) => {
        const ring = buildRing(ids, 16);
        for (const key of ks) {
          const owners = ownersOf(ring, key, rf);
          expect(owners.length).toBe(Math.min(rf, ids.length));
          expect(new Set(owners).size).toBe(owners.length);
          for (const owner of owners) expect(ids).toContain(owner);
        }
      }),
    );
  });

  test('a joining member only takes keys; a leaving member only gives them up', () => {
    fc.assert(
      fc.property(members, fc.stringMatching(/^new-[a-z]{1,6}$/), keys, (ids, extra, ks) => {
        const before = buildRing(ids, 16);
        const after = buildRing([...ids, extra], 16);
        for (const key of ks) {
          const [a] = ownersOf(before, key, 1);
          const [b] = ownersOf(after, key, 1);
          if (a !== b) expect(b).toBe(extra);
        }
        // Removing `extra` again restores every key's primary.
        for (const key of ks) expect(ownersOf(buildRing(ids, 16), key, 1)).toEqual(ownersOf(before, key, 1));
      }),
    );
  });
});

describe('ownership during changes', () => {
  const document = (states: Record<string, 'joining' | 'active' | 'leaving'>, rf = 2): RingDocument => ({
    epoch: 1,
    replicationFactor: rf,
    members: Object.entries(states).map(([id, state]) => ({ id, address: `${id}:8080`, state })),
  });

  test('a joining member receives writes at once but reads go to current holders first', () => {
    const placement = placementOf(document({ a: 'active', b: 'active', c: 'joining' }), 64);
    let sawJoiner = false;
    for (let i = 0; i < 200; i++) {
      const replicas = replicasOf(placement, `k${i}`);
      expect(replicas.current.every((id) => id !== 'c')).toBe(true);
      expect(replicas.all.slice(0, replicas.current.length)).toEqual(replicas.current);
      if (replicas.next.includes('c')) {
        sawJoiner = true;
        expect(replicas.all).toContain('c');
      }
    }
    expect(sawJoiner).toBe(true);
  });

  test('acknowledgement needs the level in both views', () => {
    const replicas = { all: ['a', 'b', 'c'], current: ['a', 'b'], next: ['a', 'c'] };
    expect(satisfied(replicas, new Set(['a', 'b']), 'quorum')).toBe(false);
    expect(satisfied(replicas, new Set(['a', 'b', 'c']), 'quorum')).toBe(true);
    expect(satisfied(replicas, new Set(['a']), 'one')).toBe(true);
    expect(satisfied(replicas, new Set(['b', 'c']), 'one')).toBe(true);
    expect(satisfied(replicas, new Set(['b']), 'one')).toBe(false);
    expect([
      acksNeeded('quorum', 1),
      acksNeeded('quorum', 2),
      acksNeeded('quorum', 3),
      acksNeeded('all', 3),
    ]).toEqual([1, 2, 2, 3]);
  });

  test('a new cluster of joining members serves from the next view alone', () => {
    const replicas = replicasOf(placementOf(document({ a: 'joining', b: 'joining' }), 16), 'x');
    expect(replicas.current).toEqual([]);
    expect(replicas.all.sort()).toEqual(['a', 'b']);
    expect(satisfied(replicas, new Set(['a', 'b']), 'quorum')).toBe(true);
  });
});

describe('ring document', () => {
  const valid = {
    epoch: 7,
    replicationFactor: 2,
    members: [{ id: 'demo-0', address: 'demo-0.demo-nodes.default.svc:8080', state: 'active' }],
    publisher: { holder: 'op-1', leaseTransitions: 3 },
  };

  test('a valid document parses; epochs only grow', () => {
    const parsed = parseRingDocument(valid);
    expect(parsed).toEqual(valid);
    expect(isNewerRing(undefined, parsed)).toBe(true);
    expect(isNewerRing(parsed, { ...parsed, epoch: 7 })).toBe(false);
    expect(isNewerRing(parsed, { ...parsed, epoch: 8 })).toBe(true);
  });

  test('every field is checked, with an exact message', () => {
    const cases: Array<[unknown, string]> = [
      [[], 'the ring document must be a JSON object'],
      [{ ...valid, epoch: -1 }, 'epoch must be a non-negative integer, got -1'],
      [{ ...valid, replicationFactor: 0 }, 'replicationFactor must be at least 1'],
      [{ ...valid, members: {} }, 'members must be an array'],
      [
        { ...valid, members: [{ ...valid.members[0], id: '' }] },
        'members[0].id must be a non-empty string of at most 253 characters',
      ],
      [{ ...valid, members: [valid.members[0], valid.members[0]] }, 'members[1].id "demo-0" appears twice'],
      [
        { ...valid, members: [{ ...valid.members[0], address: 'no-port' }] },
        'members[0].address must be host:port, got "no-port"',
      ],
      [
        { ...valid, members: [{ ...valid.members[0], state: 'gone' }] },
        'members[0].state must be one of joining, active, leaving, got "gone"',
      ],
      [
        { ...valid, publisher: { holder: 1 } },
        'publisher must be {"holder": string, "leaseTransitions": integer}',
      ],
    ];
    for (const [input, message] of cases) expect(() => parseRingDocument(input)).toThrow(message);
  });
});
