import { READ_BUFFER_SIZE, ReadBuffer } from '../../src/store/read-buffer.js';
import { Store } from '../../src/store/index.js';
import { hashKey } from '../../src/store/hash.js';
import { WTinyLfuPolicy } from '../../src/store/policy/wtinylfu.js';
import { seededRandom } from '../../../bench/simulate.js';

describe('ReadBuffer', () => {
  it('applies hits in order, in one batch when full, and the rest on drain', () => {
    const applied: number[][] = [];
    const buffer = new ReadBuffer((slots, count) => applied.push(Array.from(slots.subarray(0, count))));
    for (let i = 0; i < READ_BUFFER_SIZE + 3; i++) buffer.record(i);
    expect(applied).toHaveLength(1);
    expect(applied[0]).toEqual(Array.from({ length: READ_BUFFER_SIZE }, (_, i) => i));
    expect(buffer.pending).toBe(3);
    buffer.drain();
    expect(applied[1]).toEqual([READ_BUFFER_SIZE, READ_BUFFER_SIZE + 1, READ_BUFFER_SIZE + 2]);
    buffer.drain();
    expect(applied).toHaveLength(2);
  });
});

describe('buffered hits in the store', () => {
  // Each entry is charged the same bytes, so maxMemory holds exactly `fit` of them.
  const entry = Store.entryBytes(4, 16);

  it.each(['lru', 'wtinylfu'] as const)(
    '%s: a write sees every earlier hit, even ones still buffered',
    (policy) => {
      const fit = 64;
      const s = new Store({ maxMemory: fit * entry, policy, random: () => 0.99 });
      const key = (i: number) => `k${String(i).padStart(3, '0')}`;
      for (let i = 0; i < fit; i++) s.set(key(i), Buffer.alloc(16, i));
      // Fewer hits than the buffer holds: without a drain before the write, the policy would
      // not know that k000 was just read and would evict it as the oldest entry.
      for (let round = 0; round < 3; round++) expect(s.slotOf(key(0))).toBeGreaterThanOrEqual(0);
      s.set('knew', Buffer.alloc(16));
      expect(s.has(key(0))).toBe(true);
    },
  );

  it('lru: keeps exact recency across many buffer-fuls of hits', () => {
    const fit = 300;
    const s = new Store({ maxMemory: fit * entry, policy: 'lru' });
    const key = (i: number) => `k${String(i).padStart(3, '0')}`;
    for (let i = 0; i < fit; i++) s.set(key(i), Buffer.alloc(16, i));
    // Read every even key (150 hits: more than a buffer-ful), then insert 150 new keys.
    for (let i = 0; i < fit; i += 2) s.get(key(i));
    for (let i = 0; i < fit / 2; i++) s.set(`n${String(i).padStart(3, '0')}`, Buffer.alloc(16));
    for (let i = 0; i < fit; i++) expect([key(i), s.has(key(i))]).toEqual([key(i), i % 2 === 0]);
  });

  it.each(['lru', 'wtinylfu'] as const)(
    '%s: a hit on an entry deleted or expired before the drain corrupts nothing',
    (policy) => {
      let now = 1000;
      const maxMemory = 200 * Store.entryBytes(5, 16);
      const s = new Store({ maxMemory, policy, now: () => now });
      s.set('gone', Buffer.from('x'));
      s.set('ttl', Buffer.from('y'), { ttlMs: 10 });
      s.get('gone');
      s.get('ttl');
      s.delete('gone');
      now += 20;
      expect(s.get('ttl')).toBeUndefined();
      // The freed slots are reused at once; churn through evictions many times over.
      for (let i = 0; i < 5000; i++) {
        s.set(`f${i % 700}`, Buffer.alloc(16, i));
        if (i % 3 === 0) s.get(`f${(i * 7) % 700}`);
      }
      const resident = [...s.keys()];
      expect(resident.length).toBe(s.size);
      expect(s.size).toBeGreaterThan(100);
      expect(s.bytes).toBeLessThanOrEqual(maxMemory);
      for (const k of resident) expect(s.get(k)!.value.length).toBe(16);
    },
  );
});

describe('buffered same-size overwrites in the store', () => {
  const entry = Store.entryBytes(4, 16);
  const key = (i: number) => `k${String(i).padStart(3, '0')}`;

  it('lru: an overwrite that keeps its size waits in the buffer and still counts as the latest use, in order with hits', () => {
    const fit = 300;
    const s = new Store({ maxMemory: fit * entry, policy: 'lru' });
    for (let i = 0; i < fit; i++) s.set(key(i), Buffer.alloc(16, i));
    // Use every even key, alternating reads and same-size overwrites (more than a buffer-ful),
    // then insert 150 new keys: exactly the odd keys go.
    for (let i = 0; i < fit; i += 2) {
      if (i % 4 === 0) s.get(key(i));
      else expect(s.set(key(i), Buffer.alloc(16, 0xff))).toBe('replaced');
    }
    for (let i = 0; i < fit / 2; i++) s.set(`n${String(i).padStart(3, '0')}`, Buffer.alloc(16));
    for (let i = 0; i < fit; i++) expect([key(i), s.has(key(i))]).toEqual([key(i), i % 2 === 0]);
    expect(Buffer.from(s.get(key(2))!.value)).toEqual(Buffer.alloc(16, 0xff));
  });

  it('wtinylfu: same-size overwrites count as uses for admission, so a rewritten key outlives a cold one', () => {
    const fit = 100;
    const s = new Store({ maxMemory: fit * entry, policy: 'wtinylfu', random: () => 0.99 });
    for (let i = 0; i < fit; i++) s.set(key(i), Buffer.alloc(16, i));
    // k000 is rewritten often (never read); every other key once.
    for (let round = 0; round < 20; round++) s.set(key(0), Buffer.alloc(16, round));
    // New keys used three times each: more than any key written once, less than k000.
    for (let i = 0; i < 5 * fit; i++) {
      const name = `n${String(i).padStart(4, '0')}`;
      s.set(name, Buffer.alloc(16));
      s.get(name);
      s.get(name);
    }
    expect(s.has(key(0))).toBe(true);
    expect(s.bytes).toBeLessThanOrEqual(fit * entry);
  });

  it('an overwrite that changes the size takes the write path: the bound holds at once', () => {
    const s = new Store({ maxMemory: 10 * entry, policy: 'lru' });
    for (let i = 0; i < 10; i++) s.set(key(i), Buffer.alloc(16));
    s.set(key(0), Buffer.alloc(16 + entry)); // heavier by one entry: the least recent goes now
    expect(s.has(key(1))).toBe(false);
    expect(s.bytes).toBeLessThanOrEqual(10 * entry);
  });
});

describe('the store and the policy fed one request at a time', () => {
  it('wtinylfu: keep the same entries, whatever the read buffer holds when a miss comes', () => {
    const entry = Store.entryBytes(5, 16);
    const capacity = 150 * entry;
    const store = new Store({ maxMemory: capacity, policy: 'wtinylfu', random: seededRandom(5) });
    // The reference: each request straight to the policy, as bench:store runs it.
    const slotOf = new Map<string, number>();
    const keyOf: string[] = [];
    const free: number[] = [];
    const policy = new WTinyLfuPolicy({
      capacity,
      random: seededRandom(5),
      onEvict: (slot) => {
        slotOf.delete(keyOf[slot]);
        free.push(slot);
      },
    });
    const random = seededRandom(8);
    for (let i = 0; i < 40_000; i++) {
      const key = `k${String(Math.floor(2000 * random() ** 2)).padStart(4, '0')}`;
      if (store.slotOf(key) < 0) store.set(key, Buffer.alloc(16));
      const slot = slotOf.get(key);
      if (slot !== undefined) {
        policy.recordHit(slot);
        continue;
      }
      policy.recordMiss(hashKey(key));
      const fresh = free.length > 0 ? (free.pop() as number) : keyOf.length;
      keyOf[fresh] = key;
      slotOf.set(key, fresh);
      policy.add(fresh, hashKey(key), entry);
    }
    expect(policy.sketch.epoch).toBeGreaterThan(5); // halvings happened along the way
    expect([...store.keys()].sort()).toEqual([...slotOf.keys()].sort());
  });
});
