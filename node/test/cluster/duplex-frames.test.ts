import { DuplexReader, encodeFrames, KIND_ACKS, KIND_BATCH } from '../../src/cluster/duplex-frames.js';
import { decodeStreamEntries, encodeStreamEntries } from '../../src/cluster/stream-entries.js';

const entry = (key: string, value: string) => ({
  key,
  version: 7 * 1024,
  expiresAt: 0,
  contentType: 'text/plain',
  value: Buffer.from(value),
  tombstone: false,
});

const acks = [
  { stream: 1, sequence: 7, status: 200 },
  { stream: 0xffffffff, sequence: 0xffffffff, status: 400 },
];
const entries = encodeStreamEntries([entry('a', 'one'), entry('b', 'two')]);
// Both kinds, as a node writes them: its acks of the peer's batches, then its own batch.
const wire = Buffer.concat([
  encodeFrames(acks, { sequence: 3, epoch: 5, entries }),
  encodeFrames([], { sequence: 4, epoch: 6, entries: Buffer.alloc(0) }),
  encodeFrames([{ stream: 2, sequence: 1, status: 503 }]),
]);

test('acks and batches survive any split of the byte stream, in order', () => {
  for (let cut = 0; cut <= wire.length; cut++) {
    const reader = new DuplexReader(1024);
    const first = reader.read(wire.subarray(0, cut));
    const second = reader.read(wire.subarray(cut));
    const batches = [...first.batches, ...second.batches];
    expect(batches.map((b) => [b.sequence, b.epoch, b.intact, b.entries.length])).toEqual([
      [3, 5, true, entries.length],
      [4, 6, true, 0],
    ]);
    expect(decodeStreamEntries(batches[0].entries, 10).map((e) => e.value.toString())).toEqual([
      'one',
      'two',
    ]);
    expect([...first.acks, ...second.acks]).toEqual([...acks, { stream: 2, sequence: 1, status: 503 }]);
  }
});

test('every truncation of a frame waits for the rest and reads nothing yet', () => {
  const frame = encodeFrames(acks, { sequence: 3, epoch: 5, entries });
  const ackFrame = 5 + 2 * 12;
  for (let cut = 0; cut < frame.length; cut++) {
    const read = new DuplexReader(1024).read(frame.subarray(0, cut));
    expect(read.batches).toEqual([]);
    expect(read.acks).toEqual(cut >= ackFrame ? acks : []);
  }
});

test('a batch with any byte of its entries or checksum changed is read as not intact', () => {
  const frame = encodeFrames([], { sequence: 9, epoch: 1, entries });
  for (let at = 5 + 4 + 8; at < frame.length; at++) {
    const broken = Buffer.from(frame);
    broken[at] ^= 0x20;
    const [read] = new DuplexReader(1024).read(broken).batches;
    expect(read.intact).toBe(false);
  }
});

test('a frame of an unknown kind, a wrong size for its kind, or over the limit breaks the stream', () => {
  const frame = (length: number, kind: number) => {
    const out = Buffer.alloc(5);
    out.writeUInt32LE(length, 0);
    out[4] = kind;
    return out;
  };
  expect(() => new DuplexReader(1024).read(frame(13, 3))).toThrow(
    'a stream frame of kind 3 and 13 bytes cannot be read',
  );
  expect(() => new DuplexReader(1024).read(frame(12, KIND_ACKS))).toThrow('kind 2 and 12 bytes');
  expect(() => new DuplexReader(1024).read(frame(1, KIND_ACKS))).toThrow('kind 2 and 1 bytes');
  expect(() => new DuplexReader(1024).read(frame(16, KIND_BATCH))).toThrow('kind 1 and 16 bytes');
  const big = encodeFrames([], { sequence: 1, epoch: 1, entries: Buffer.alloc(2000) });
  expect(() => new DuplexReader(1024).read(big)).toThrow('kind 1 and 2017 bytes');
  expect(new DuplexReader(4096).read(big).batches).toHaveLength(1);
});
