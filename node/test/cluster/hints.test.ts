/**
 * The hint store's bounds: at most `limit` hints, and at most `maxBytes` bytes of their values
 * (hints hold whole values: counted only, 100000 hints of 1 MiB could hold 100 GB while an
 * owner is down). Past either bound the oldest hints are dropped, and counted.
 */
import { HintStore } from '../../src/cluster/hints.js';
import type { ReplicaEntry } from '../../src/cluster/replica.js';

const hint = (key: string, version: number, bytes: number): ReplicaEntry => ({
  key,
  version,
  expiresAt: 0,
  contentType: 'application/octet-stream',
  value: Buffer.alloc(bytes),
  tombstone: false,
});

test('past the count limit the oldest hint is dropped', () => {
  const hints = new HintStore(2);
  hints.add('a', hint('k1', 1, 10));
  hints.add('b', hint('k2', 1, 10));
  hints.add('a', hint('k3', 1, 10));
  expect([hints.size, hints.dropped, hints.bytes]).toEqual([2, 1, 20]);
  expect(hints.pending('a', 10).map((e) => e.key)).toEqual(['k3']);
});

test('past the byte bound the oldest hints are dropped until the new one fits', () => {
  const hints = new HintStore(100, 1000);
  for (let i = 0; i < 4; i++) hints.add('a', hint(`k${i}`, 1, 300));
  expect([hints.size, hints.dropped, hints.bytes]).toEqual([3, 1, 900]);
  hints.add('b', hint('big', 1, 700));
  expect([hints.size, hints.dropped, hints.bytes]).toEqual([2, 3, 1000]);
  expect(hints.pending('a', 10).map((e) => e.key)).toEqual(['k3']);
});

test('a newer hint of a key replaces it, bytes and all; delivery frees its bytes', () => {
  const hints = new HintStore(100, 1000);
  hints.add('a', hint('k', 1, 100));
  hints.add('a', hint('k', 2, 400));
  expect([hints.size, hints.bytes]).toEqual([1, 400]);
  hints.add('a', hint('k', 1, 900)); // older: ignored
  expect(hints.bytes).toBe(400);
  hints.add('a', hint('j', 1, 700)); // 1100 bytes: the oldest (k) goes
  expect([hints.size, hints.dropped, hints.bytes]).toEqual([1, 1, 700]);
  hints.markDelivered('a', hints.pending('a', 10));
  expect([hints.size, hints.bytes, hints.delivered]).toEqual([0, 0, 1]);
});

test('a hint whose value is a view into a larger buffer keeps a copy, not the buffer', () => {
  const hints = new HintStore(100);
  const body = Buffer.alloc(1 << 20, 7); // say, a batch request's body
  body.write('hello', 4096);
  hints.add('a', { ...hint('k', 1, 0), value: body.subarray(4096, 4101) });
  const [held] = hints.pending('a', 10);
  expect(Buffer.from(held.value).toString()).toBe('hello');
  expect(held.value.buffer.byteLength).toBe(5);
  expect(hints.bytes).toBe(5);
});
