/** Ownership while members join and leave: the two views, write acknowledgement, reads, primary. */
import fc from 'fast-check';
import type { MemberState, RingDocument } from '../../src/ring/document.js';
import { buildRing, CURRENT, NEXT, ownersOf } from '../../src/ring/ring.js';
import {
  acksNeeded,
  ownersForRead,
  ownersForWrite,
  primaryOf,
  readView,
  replicasOf,
  writeSatisfied,
} from '../../src/ring/ownership.js';

const documentOf = (states: Record<string, MemberState>, replicationFactor = 2): RingDocument => ({
  epoch: 1,
  replicationFactor,
  members: Object.entries(states).map(([id, state]) => ({ id, address: `${id}:8080`, state })),
});
const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);

test('a joining member receives writes at once; reads ask the current holders first', () => {
  const ring = buildRing(documentOf({ a: 'active', b: 'active', c: 'joining' }), { vnodes: 64 });
  let joinerOwns = 0;
  for (const key of keys) {
    const { all, current, next } = replicasOf(ring, key);
    expect(current).not.toContain('c');
    expect(all.slice(0, current.length)).toEqual(current);
    expect(ownersForWrite(ring, key)).toEqual(all);
    expect(ownersForRead(ring, key)).toEqual(all);
    expect(primaryOf(ring, key)).toBe(current[0]);
    expect(readView({ all, current, next })).toBe(current);
    if (next.includes('c')) {
      joinerOwns++;
      expect(all).toContain('c');
    }
  }
  expect(joinerOwns).toBeGreaterThan(0);
});

test('a leaving member keeps receiving writes and serving reads until it is removed', () => {
  const ring = buildRing(documentOf({ a: 'active', b: 'leaving', c: 'active' }), { vnodes: 64 });
  let leaverHolds = 0;
  for (const key of keys) {
    const { all, current, next } = replicasOf(ring, key);
    expect(next).not.toContain('b');
    if (current.includes('b')) {
      leaverHolds++;
      expect(all).toContain('b');
      // Its share already has its next owners among the writes' targets.
      for (const id of next) expect(all).toContain(id);
    }
  }
  expect(leaverHolds).toBeGreaterThan(0);
});

test('the write targets are the union of both views, each view RF owners, current first', () => {
  const states = fc.constantFrom<MemberState>('joining', 'active', 'leaving');
  const members = fc
    .uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 1, maxLength: 7 })
    .chain((ids) => fc.tuple(...ids.map((id) => states.map((s) => [id, s] as const))));
  fc.assert(
    fc.property(members, fc.integer({ min: 1, max: 3 }), fc.string({ minLength: 1 }), (pairs, rf, key) => {
      const ring = buildRing(documentOf(Object.fromEntries(pairs), rf), { vnodes: 8 });
      const current = ownersOf(ring, key, rf, CURRENT);
      const next = ownersOf(ring, key, rf, NEXT);
      const write = ownersForWrite(ring, key);
      expect(write).toEqual([...current, ...next.filter((id) => !current.includes(id))]);
      expect(primaryOf(ring, key)).toBe(write[0]);
      expect(replicasOf(ring, key)).toEqual({ all: write, current, next });
    }),
  );
});

test('a write is acknowledged when its level is met in both views', () => {
  const replicas = { all: ['a', 'b', 'c'], current: ['a', 'b'], next: ['a', 'c'] };
  const ok = (acked: string[], level: 'one' | 'quorum' | 'all') =>
    writeSatisfied(replicas, new Set(acked), level);
  expect(ok(['a'], 'one')).toBe(true);
  expect(ok(['b', 'c'], 'one')).toBe(true);
  expect(ok(['b'], 'one')).toBe(false);
  expect(ok(['a', 'b'], 'quorum')).toBe(false);
  expect(ok(['a', 'b', 'c'], 'quorum')).toBe(true);
  expect(ok(['a', 'b', 'c'], 'all')).toBe(true);
  expect([0, 1, 2, 3, 4, 5].map((n) => acksNeeded('quorum', n))).toEqual([0, 1, 2, 2, 3, 3]);
  expect([0, 1, 3].map((n) => acksNeeded('one', n))).toEqual([0, 1, 1]);
  expect([0, 1, 3].map((n) => acksNeeded('all', n))).toEqual([0, 1, 3]);
});

test('a new cluster of joining members serves from the next view alone', () => {
  const ring = buildRing(documentOf({ a: 'joining', b: 'joining' }), { vnodes: 16 });
  const replicas = replicasOf(ring, 'x');
  expect(replicas.current).toEqual([]);
  expect([...replicas.all].sort()).toEqual(['a', 'b']);
  expect(primaryOf(ring, 'x')).toBe(replicas.next[0]);
  expect(readView(replicas)).toBe(replicas.next);
  expect(writeSatisfied(replicas, new Set(['a', 'b']), 'quorum')).toBe(true);
  expect(writeSatisfied(replicas, new Set(['a']), 'quorum')).toBe(false);
});

test('an empty ring has no primary, no owners, and acknowledges no write', () => {
  const ring = buildRing(documentOf({}));
  expect(primaryOf(ring, 'x')).toBeUndefined();
  expect(ownersForWrite(ring, 'x')).toEqual([]);
  // Nobody would hold the write: never acknowledge it.
  expect(writeSatisfied(replicasOf(ring, 'x'), new Set(), 'one')).toBe(false);
});

test('write and read targets fill the caller array in place', () => {
  const ring = buildRing(documentOf({ a: 'active', b: 'leaving', c: 'joining', d: 'active' }), {
    vnodes: 16,
  });
  const out = ['stale'];
  for (const key of keys.slice(0, 50)) {
    expect(ownersForWrite(ring, key, out)).toBe(out);
    expect(out).toEqual(replicasOf(ring, key).all);
    expect(ownersForRead(ring, key, out)).toEqual(replicasOf(ring, key).all);
  }
});
