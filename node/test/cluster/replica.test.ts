/** The replica rules: newest version wins; tombstones last their grace from the delete itself. */
import { Replica, type ReplicaEntry } from '../../src/cluster/replica.js';
import { LOGICAL_BITS } from '../../src/store/hlc.js';
import { Store } from '../../src/store/store.js';

const GRACE = 10_000;
let now = 1_000_000;
const clock = () => now;
const version = (ms: number, counter = 0) => ms * 2 ** LOGICAL_BITS + counter;

function replica(): Replica {
  return new Replica(new Store({ maxMemory: 1 << 20, now: clock }), GRACE, clock);
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
