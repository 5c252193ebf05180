import fc from 'fast-check';
import {
  decodeStreamEntries,
  EncodedEntries,
  encodeStreamEntries,
} from '../../src/cluster/stream-entries.js';
import type { ReplicaEntry } from '../../src/cluster/replica.js';

const entry = (over: Partial<ReplicaEntry> = {}): ReplicaEntry => ({
  key: 'k',
  version: 7 * 1024,
  expiresAt: 0,
  contentType: 'text/plain',
  value: Buffer.from('v'),
  tombstone: false,
  ...over,
});

const plain = (entries: ReplicaEntry[]) =>
  entries.map((e) => ({ ...e, value: Buffer.from(e.value).toString('hex') }));

test('entries survive encoding and decoding, tombstones and UTF-8 keys included', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }),
          version: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          expiresAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          contentType: fc.string({ maxLength: 30 }),
          value: fc.uint8Array({ maxLength: 300 }),
          tombstone: fc.boolean(),
        }),
        { maxLength: 20 },
      ),
      (entries) => {
        const decoded = decodeStreamEntries(encodeStreamEntries(entries), 100);
        expect(plain(decoded)).toEqual(plain(entries));
      },
    ),
  );
});

test('a truncated batch is refused whole, naming the entry', () => {
  const wire = encodeStreamEntries([
    entry({ key: 'first' }),
    entry({ key: 'second', value: Buffer.from('0123456789') }),
  ]);
  const messages = new Set<string>();
  for (let cut = wire.length - 1; cut > 0; cut--) {
    try {
      decodeStreamEntries(wire.subarray(0, cut), 10);
    } catch (err) {
      expect((err as { status: number }).status).toBe(400);
      messages.add((err as Error).message);
      continue;
    }
    // Cutting exactly between the two entries leaves one whole entry.
    expect(decodeStreamEntries(wire.subarray(0, cut), 10).map((e) => e.key)).toEqual(['first']);
  }
  expect([...messages].sort()).toEqual(
    [
      'entry 0: truncated',
      'entry 0: truncated key',
      'entry 0: truncated content type',
      'entry 0: truncated value',
      'entry 1: truncated',
      'entry 1: truncated key',
      'entry 1: truncated content type',
      'entry 1: truncated value',
    ].sort(),
  );
});

test('bad fields and too many entries are refused', () => {
  const flags = encodeStreamEntries([entry()]);
  flags[0] = 2;
  expect(() => decodeStreamEntries(flags, 10)).toThrow('entry 0: unknown flags 2');
  const fraction = encodeStreamEntries([entry({ key: 'ab' })]);
  fraction.writeDoubleLE(1.5, 5); // the version, after flags, key length and a two-byte key
  expect(() => decodeStreamEntries(fraction, 10)).toThrow(
    'entry 0: version and expiresAt must be non-negative integers',
  );
  const three = encodeStreamEntries([entry(), entry(), entry()]);
  expect(() => decodeStreamEntries(three, 2)).toThrow('batch holds more than 2 entries');
  expect(decodeStreamEntries(Buffer.alloc(0), 2)).toEqual([]);
});

test('a batch encoded as entries are added equals one encoded at once, and keeps nothing of what was added', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 30 }),
      fc.integer({ min: 1, max: 4096 }),
      fc.integer({ min: 1, max: 20_000 }),
      (values, initialBytes, expectedBytes) => {
        const entries = values.map((value, i) => entry({ key: `key-${i}`, value: Buffer.from(value) }));
        const batch = new EncodedEntries(initialBytes, expectedBytes);
        for (const e of entries) batch.add(e);
        const expected = encodeStreamEntries(entries);
        // The values passed to add may be views of bytes that are reused right after.
        for (const e of entries) e.value.fill(0xee);
        expect(batch.count).toBe(entries.length);
        expect(batch.body.equals(expected)).toBe(true);
        expect(plain(batch.entries())).toEqual(plain(decodeStreamEntries(expected, 100)));
      },
    ),
  );
});
