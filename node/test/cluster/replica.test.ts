/**
 * The replica rules: newest version wins (equal versions settled by content); tombstones, for
 * deletes and expiries, last their grace from when the key went away.
 */
import { compareEntries, Replica, type ReplicaEntry } from '../../src/cluster/replica.js';
import { LOGICAL_BITS } from '../../src/store/hlc.js';
import { Store } from '../../src/store/store.js';

const GRACE = 10_000;
let now = 1_000_000;
const clock = () => now;
const version = (ms: number, counter = 0) => ms * 2 ** LOGICAL_BITS + counter;

/** A replica wired as a node wires it: entries that expire in place leave tombstones. */
function replica(maxTombstones?: number): Replica {
  const store: Store = new Store({
    maxMemory: 1 << 20,
    now: clock,
    onExpire: (key, v, expiresAt) => r.expired(key, v, expiresAt),
  });
  const r: Replica = new Replica(store, GRACE, clock, maxTombstones);
  return r;
}
const value = (key: string, v: number, text = 'x'): ReplicaEntry => ({
  key,
  version: v,
  expiresAt: 0,
  contentType: 'text/plain',
  value: Buffer.from(text),
  tombstone: false,
});
const tombstone = (key: string, v: number): ReplicaEntry => ({
  ...value(key, v),
  value: new Uint8Array(0),
  tombstone: true,
});

beforeEach(() => {
  now = 1_000_000;
});

test('the newest version wins whatever order copies arrive in', () => {
  const r = replica();
  expect(r.apply(value('k', version(now, 2), 'new'))).toBe(true);
  expect(r.apply(value('k', version(now, 1), 'old'))).toBe(false);
  expect(Buffer.from(r.read('k')!.value).toString()).toBe('new');
});

test('a tombstone keeps an older copy from resurrecting the key until its grace is over', () => {
  const r = replica();
  r.apply(value('k', version(now, 1)));
  expect(r.apply(tombstone('k', version(now, 2)))).toBe(true);
  expect(r.apply(value('k', version(now, 1)))).toBe(false);
  expect(r.read('k')?.tombstone).toBe(true);
  now += GRACE;
  expect(r.pruneTombstones()).toBe(0);
  expect(r.read('k')).toBeUndefined();
});

test('a tombstone arriving after its grace deletes an older value but is not kept (no new grace period)', () => {
  const r = replica();
  r.apply(value('k', version(now - GRACE - 5, 0)));
  expect(r.apply(tombstone('k', version(now - GRACE, 1)))).toBe(true);
  expect(r.read('k')).toBeUndefined();
  expect([...r.tombstoneKeys()]).toEqual([]);
});

test('forget drops a value and its tombstone without leaving one', () => {
  const r = replica();
  r.apply(value('a', version(now)));
  r.apply(tombstone('b', version(now)));
  r.forget('a');
  r.forget('b');
  expect(r.read('a')).toBeUndefined();
  expect(r.read('b')).toBeUndefined();
  expect(r.versionOf('b')).toBeUndefined();
});

test('a newer copy that has already expired deletes an older value and keeps it from coming back', () => {
  const r = replica();
  r.apply(value('k', version(now - 5_000, 0), 'old'));
  const expired = { ...value('k', version(now - 2_000, 0), 'new'), expiresAt: now - 500 };
  expect(r.apply(expired)).toBe(true);
  expect(r.read('k')?.tombstone).toBe(true);
  expect(r.store.peek('k')).toBeUndefined();
  // The older copy again (a repair from an owner that missed the overwrite): refused.
  expect(r.apply(value('k', version(now - 5_000, 0), 'old'))).toBe(false);
  expect(r.store.peek('k')).toBeUndefined();
});

test('two copies with the same version: every replica keeps the same one, whichever arrives first', () => {
  // Two coordinators stamped the same millisecond and counter.
  const a = value('k', version(now, 3), 'from-a');
  const b = value('k', version(now, 3), 'from-b');
  const first = replica();
  const second = replica();
  first.apply(a);
  second.apply(b);
  // Each receives the other's copy (replication crossing).
  expect(first.apply(b)).toBe(true);
  expect(second.apply(a)).toBe(false);
  const held = (r: Replica) => Buffer.from(r.read('k')!.value).toString();
  expect([held(first), held(second)]).toEqual(['from-b', 'from-b']);
  // A delete stamped the same version wins over either value.
  expect(first.apply(tombstone('k', version(now, 3)))).toBe(true);
  expect(first.read('k')?.tombstone).toBe(true);
  expect(first.apply(b)).toBe(false);
});

test('compareEntries orders by version, then tombstone, value bytes, content type and expiry', () => {
  const base = value('k', version(now, 1), 'm');
  expect(compareEntries(value('k', version(now, 2), 'a'), base)).toBe(1);
  expect(compareEntries(tombstone('k', version(now, 1)), base)).toBe(1);
  expect(compareEntries(value('k', version(now, 1), 'z'), base)).toBe(1);
  expect(compareEntries(value('k', version(now, 1), 'a'), base)).toBe(-1);
  expect(compareEntries({ ...base, contentType: 'text/x' }, base)).toBe(1);
  expect(compareEntries({ ...base, expiresAt: now + 1 }, base)).toBe(1);
  expect(compareEntries({ ...base }, base)).toBe(0);
});

test('an entry that expires in place leaves a tombstone at its version, so an older copy stays out', () => {
  const r = replica();
  r.store.set('k', Buffer.from('new'), { version: version(now, 5), ttlMs: 1_000 });
  now += 1_000;
  expect(r.store.expire()).toBe(1);
  expect(r.read('k')).toMatchObject({ tombstone: true, version: version(now - 1_000, 5), expiresAt: now });
  // The owner that missed the overwrite sends its older value (anti-entropy, a late hint).
  expect(r.apply(value('k', version(now - 5_000, 0), 'old'))).toBe(false);
  expect(r.store.peek('k')).toBeUndefined();
  // An expiry found by a look-up rather than the sweep counts the same.
  r.store.set('j', Buffer.from('new'), { version: version(now, 1), ttlMs: 10 });
  now += 10;
  expect(r.versionOf('j')).toBe(version(now - 10, 1));
  expect(r.apply(value('j', version(now - 5_000, 0), 'old'))).toBe(false);
  // The grace runs from the expiry: then the key may be forgotten.
  now += GRACE;
  expect(r.pruneTombstones()).toBe(0);
});

test('a copy of an expiry tombstone keeps its grace from the expiry, not from its version', () => {
  const r = replica();
  // Written long ago with a TTL longer than the grace; expired just now elsewhere.
  const written = now - 3 * GRACE;
  const expiry = { ...tombstone('k', version(written, 0)), expiresAt: now - 1 };
  r.apply(value('k', version(written - 1, 0), 'older'));
  expect(r.apply(expiry)).toBe(true);
  expect(r.read('k')).toMatchObject({ tombstone: true, expiresAt: now - 1 });
  now += GRACE - 2;
  expect(r.pruneTombstones()).toBe(1);
  now += 1;
  expect(r.pruneTombstones()).toBe(0);
});

test('past maxTombstones the oldest tombstone is forgotten, and counted', () => {
  const r = replica(2);
  for (const key of ['a', 'b', 'c']) r.store.set(key, Buffer.from('v'));
  for (const key of ['a', 'b', 'c']) r.delete(key);
  expect([...r.tombstoneKeys()]).toEqual(['b', 'c']);
  expect(r.tombstonesDropped).toBe(1);
  expect(r.tombstoneCount).toBe(2);
});
