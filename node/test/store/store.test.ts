import { HybridLogicalClock, Store } from '../../src/store/index.js';

const text = (v: Uint8Array | undefined) => (v === undefined ? undefined : Buffer.from(v).toString());

describe('store basics', () => {
  it('round-trips values, content types and versions; counts hits and misses', () => {
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru' });
    expect(s.set('a', Buffer.from('alpha'), { contentType: 'text/plain' })).toBe('created');
    expect(s.set('a', Buffer.from('ALPHA'), { contentType: 'text/x' })).toBe('replaced');
    const entry = s.get('a')!;
    expect(text(entry.value)).toBe('ALPHA');
    expect(entry.contentType).toBe('text/x');
    expect(s.get('missing')).toBeUndefined();
    expect(s.stats()).toMatchObject({ hits: 1, misses: 1, keys: 1 });
    expect(s.delete('a')).toBe(true);
    expect(s.delete('a')).toBe(false);
    expect(s.stats()).toMatchObject({ keys: 0, bytes: 0 });
  });

  it('stores a copy: mutating the caller buffer later changes nothing', () => {
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru' });
    const buf = Buffer.from('hello');
    s.set('k', buf);
    buf.write('HELLO');
    expect(text(s.get('k')!.value)).toBe('hello');
  });

  it('keeps empty, slab-sized and big values intact side by side', () => {
    const s = new Store({ maxMemory: 64 << 20, maxValueBytes: 1 << 20, policy: 'lru' });
    const sizes = [0, 1, 15, 16, 17, 511, 513, 4000, 65536, 65537, 1 << 20];
    for (const n of sizes) s.set(`k${n}`, Buffer.alloc(n, n % 251));
    for (const n of sizes) expect(Buffer.compare(s.get(`k${n}`)!.value, Buffer.alloc(n, n % 251))).toBe(0);
  });

  it('locates a value in place: the same bytes as a view, in one reused object, for every kind of value', () => {
    const s = new Store({ maxMemory: 64 << 20, maxValueBytes: 1 << 20, policy: 'lru' });
    const sizes = [0, 1, 100, 513, 65537, 1 << 20];
    for (const n of sizes) s.set(`k${n}`, Buffer.alloc(n, (n % 250) + 1));
    const first = s.locate(s.slotOf('k0'));
    for (const n of sizes) {
      const where = s.locate(s.slotOf(`k${n}`));
      expect(where).toBe(first); // nothing allocated per call
      expect(where.length).toBe(n);
      const bytes = Buffer.from(where.bytes.buffer, where.bytes.byteOffset + where.offset, where.length);
      expect(Buffer.compare(bytes, Buffer.alloc(n, (n % 250) + 1))).toBe(0);
    }
    // Neighbours in a slab page stay apart: the located range holds this value only.
    s.set('x', Buffer.from('xxxx'));
    s.set('y', Buffer.from('yyyy'));
    const y = s.locate(s.slotOf('y'));
    expect(Buffer.from(y.bytes.subarray(y.offset, y.offset + y.length)).toString()).toBe('yyyy');
  });

  it('overwrites a value of the same size class in its own chunk, and moves one of another size', () => {
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru' });
    s.set('a', Buffer.alloc(100, 1));
    s.set('b', Buffer.alloc(100, 2));
    const place = (key: string) => {
      const { bytes, offset } = s.locate(s.slotOf(key));
      return { bytes, offset };
    };
    const before = place('a');
    s.set('a', Buffer.alloc(110, 3), { contentType: 'text/plain' }); // 100 and 110 are both 112-byte chunks
    expect(place('a')).toEqual(before);
    expect(Buffer.compare(s.get('a')!.value, Buffer.alloc(110, 3))).toBe(0);
    expect(s.get('a')!.contentType).toBe('text/plain');
    s.set('a', Buffer.alloc(300, 4));
    expect(place('a')).not.toEqual(before);
    expect(Buffer.compare(s.get('a')!.value, Buffer.alloc(300, 4))).toBe(0);
    expect(s.get('a')!.contentType).toBe('application/octet-stream');
    expect(Buffer.compare(s.get('b')!.value, Buffer.alloc(100, 2))).toBe(0);
    expect(s.bytes).toBe(Store.entryBytes(1, 304) + Store.entryBytes(1, 112));
  });

  it('gives versions that strictly increase, and keeps a supplied version', () => {
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru', now: () => 1000 });
    s.set('a', Buffer.from('1'));
    const v1 = s.get('a')!.version;
    s.set('a', Buffer.from('2'));
    expect(s.get('a')!.version).toBeGreaterThan(v1);
    s.set('b', Buffer.from('x'), { version: 5_000_000_000 });
    expect(s.get('b')!.version).toBe(5_000_000_000);
    s.set('c', Buffer.from('y'));
    expect(s.get('c')!.version).toBeGreaterThan(5_000_000_000); // observed, so later writes sort after it
  });
});

describe('window share', () => {
  it('is 1 for lru; for wtinylfu starts at 1% and grows when reads turn to recency', () => {
    expect(new Store({ maxMemory: 1 << 20, policy: 'lru' }).stats().windowShare).toBe(1);
    const s = new Store({ maxMemory: 64 * 1024 });
    expect(s.stats().windowShare).toBe(0.01);
    // A working set that slides forward: yesterday's keys never return, recency is all that pays.
    let seed = 4;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const value = Buffer.alloc(16);
    for (let i = 0; i < 150_000; i++) {
      const key = `k${Math.floor(i / 10) + Math.floor(random() * 400)}`;
      if (s.get(key) === undefined) s.set(key, value);
    }
    expect(s.stats().keys).toBeGreaterThan(300); // the cache held a few hundred entries
    expect(s.stats().windowShare).toBeGreaterThanOrEqual(0.5);
  });
});

describe('LRU eviction order', () => {
  it('evicts the least recently used entries first, by bytes', () => {
    const entry = Store.entryBytes(2, 16); // keys 'k0'..'k9', 16-byte values
    const s = new Store({ maxMemory: entry * 4, policy: 'lru' });
    for (const k of ['k0', 'k1', 'k2', 'k3']) s.set(k, Buffer.alloc(16));
    s.get('k0'); // k1 is now the least recent
    s.set('k4', Buffer.alloc(16));
    expect([...s.keys()].sort()).toEqual(['k0', 'k2', 'k3', 'k4']);
    s.set('k5', Buffer.alloc(16));
    expect(s.has('k2')).toBe(false);
    // An entry almost twice as heavy pushes out the two least recent.
    expect(Store.entryBytes(2, 128)).toBeLessThanOrEqual(2 * entry);
    s.set('k6', Buffer.alloc(128)); // least recent first: k3, k0, k4, k5
    expect([...s.keys()].sort()).toEqual(['k4', 'k5', 'k6']);
    expect(s.stats().evictions).toBe(4);
    expect(s.bytes).toBeLessThanOrEqual(entry * 4);
  });
});

describe('TTL', () => {
  it('never returns an expired entry, and reports the remaining time', () => {
    let now = 1_000_000;
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru', now: () => now });
    s.set('t', Buffer.from('x'), { ttlMs: 100 });
    expect(s.get('t')!.expiresAt).toBe(1_000_100);
    now += 99;
    expect(s.has('t')).toBe(true);
    now += 1;
    expect(s.has('t')).toBe(false);
    expect(s.get('t')).toBeUndefined();
    expect(s.peek('t')).toBeUndefined();
    expect([...s.keys()]).toEqual([]);
  });

  it('overwriting without a TTL clears the old expiry', () => {
    let now = 0;
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru', now: () => now });
    s.set('t', Buffer.from('x'), { ttlMs: 10 });
    s.set('t', Buffer.from('y'));
    now = 1000;
    expect(s.expire()).toBe(0);
    expect(text(s.get('t')?.value)).toBe('y');
  });

  it('active expiry does work in proportion to what expires, not to the number of keys', () => {
    let now = 0;
    const s = new Store({ maxMemory: 1 << 26, policy: 'lru', now: () => now });
    for (let i = 0; i < 20_000; i++) s.set(`long${i}`, Buffer.from('v'), { ttlMs: 1_000_000 });
    for (let i = 0; i < 100; i++) s.set(`short${i}`, Buffer.from('v'), { ttlMs: 10 + i });
    for (let i = 0; i < 20_000; i++) s.set(`forever${i}`, Buffer.from('v'));
    now = 500;
    const before = s.expiryWork;
    expect(s.expire()).toBe(100);
    expect(s.expiryWork - before).toBeLessThanOrEqual(101);
    expect(s.stats()).toMatchObject({ expirations: 100, keys: 40_000 });
    expect(s.has('short5')).toBe(false);
    expect(s.has('long5')).toBe(true);
  });

  it('onExpire hears of every entry its TTL removes (sweep, look-up, write over it), with version and expiry', () => {
    let now = 0;
    const heard: string[] = [];
    const s = new Store({
      maxMemory: 1 << 20,
      now: () => now,
      onExpire: (key, version, expiresAt) => heard.push(`${key}@${version}/${expiresAt}`),
    });
    for (const key of ['swept', 'looked-up', 'overwritten', 'kept'])
      s.set(key, Buffer.from('x'), { ttlMs: key === 'kept' ? 100 : 5, version: 7 });
    s.set('deleted', Buffer.from('x'));
    now = 5;
    expect(s.get('looked-up')).toBeUndefined();
    s.set('overwritten', Buffer.from('y'));
    expect(s.expire()).toBe(1);
    s.delete('deleted'); // a delete is not an expiry
    expect(heard).toEqual(['looked-up@7/5', 'overwritten@7/5', 'swept@7/5']);
    expect(s.expireKey('kept')).toBe(false);
    now = 100;
    expect(s.expireKey('kept')).toBe(true);
    expect(heard.at(-1)).toBe('kept@7/100');
  });

  it('delete of an expired entry counts an expiration and reports absent', () => {
    let now = 0;
    const s = new Store({ maxMemory: 1 << 20, policy: 'lru', now: () => now });
    s.set('t', Buffer.from('x'), { ttlMs: 5 });
    now = 5;
    expect(s.delete('t')).toBe(false);
    expect(s.stats()).toMatchObject({ expirations: 1, keys: 0, bytes: 0 });
  });
});

describe('HybridLogicalClock', () => {
  it('increases strictly when the wall clock stalls or steps back', () => {
    let wall = 1000;
    const hlc = new HybridLogicalClock(() => wall);
    const a = hlc.now();
    const b = hlc.now();
    wall = 900;
    const c = hlc.now();
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    wall = 2000;
    expect(hlc.now()).toBe(2000 * 1024);
  });

  it('orders after an observed remote version', () => {
    const hlc = new HybridLogicalClock(() => 1000);
    hlc.observe(5000 * 1024 + 7);
    expect(hlc.now()).toBe(5000 * 1024 + 8);
  });
});

describe('slot records', () => {
  it('keeps each value length and content type apart, at every length and many types', () => {
    const s = new Store({ maxMemory: 64 << 20, maxValueBytes: 1 << 20, policy: 'lru' });
    const lengths = [0, 1, 65535, 65536, 65537, 1 << 20];
    for (let t = 0; t < 300; t++) s.set(`t${t}`, Buffer.alloc(t), { contentType: `application/x-${t}` });
    for (const n of lengths) s.set(`n${n}`, Buffer.alloc(n, 1), { contentType: `type/${n}` });
    for (let t = 0; t < 300; t++) {
      const e = s.get(`t${t}`)!;
      expect([e.value.length, e.contentType]).toEqual([t, `application/x-${t}`]);
    }
    for (const n of lengths) {
      const e = s.get(`n${n}`)!;
      expect([e.value.length, e.contentType]).toEqual([n, `type/${n}`]);
    }
  });
});
