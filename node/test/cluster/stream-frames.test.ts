import { encodeEntries, decodeEntries } from '../../src/cluster/entry-frames.js';
import { encodeStreamEntries } from '../../src/cluster/stream-entries.js';
import { CRC32, encodeAck, encodeBatch, FrameReader, SHA256 } from '../../src/cluster/stream-frames.js';

const entry = (key: string, value: string) => ({
  key,
  version: 7 * 1024,
  expiresAt: 0,
  contentType: 'text/plain',
  value: Buffer.from(value),
  tombstone: false,
});

test('protocol 1 batches (SHA-256) survive any split of the byte stream', () => {
  const entries = encodeEntries([entry('a', 'one'), entry('b', 'two')]);
  const wire = Buffer.concat([
    encodeBatch(1, 3, entries, SHA256),
    encodeBatch(2, 4, encodeEntries([]), SHA256),
  ]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const reader = new FrameReader(1024, SHA256);
    const frames = [...reader.batches(wire.subarray(0, cut)), ...reader.batches(wire.subarray(cut))];
    expect(frames.map((f) => [f.sequence, f.epoch, f.intact])).toEqual([
      [1, 3, true],
      [2, 4, true],
    ]);
    expect(decodeEntries(frames[0].entries, 10).map((e) => e.value.toString())).toEqual(['one', 'two']);
  }
});

test('protocol 2 batches (CRC-32) survive any split of the byte stream', () => {
  const entries = encodeStreamEntries([entry('a', 'one'), entry('b', 'two')]);
  const wire = Buffer.concat([encodeBatch(1, 3, entries), encodeBatch(2, 4, Buffer.alloc(0), CRC32)]);
  expect(wire.length).toBe(2 * (4 + 4 + 8 + 4) + entries.length);
  for (let cut = 0; cut <= wire.length; cut++) {
    const reader = new FrameReader(1024);
    const frames = [...reader.batches(wire.subarray(0, cut)), ...reader.batches(wire.subarray(cut))];
    expect(frames.map((f) => [f.sequence, f.epoch, f.intact])).toEqual([
      [1, 3, true],
      [2, 4, true],
    ]);
    expect(frames[0].entries.equals(entries)).toBe(true);
  }
});

test.each([
  ['CRC-32', CRC32],
  ['SHA-256', SHA256],
])('a batch with any byte of its entries or checksum changed is read as not intact (%s)', (_name, sum) => {
  const entries = encodeStreamEntries([entry('k', 'value')]);
  const frame = encodeBatch(9, 1, entries, sum);
  for (let at = 16; at < frame.length; at++) {
    const broken = Buffer.from(frame);
    broken[at] ^= 0x20;
    const [read] = new FrameReader(1024, sum).batches(broken);
    expect(read.intact).toBe(false);
  }
});

test('acknowledgements survive any split', () => {
  const wire = Buffer.concat([encodeAck(1, 200), encodeAck(0xffffffff, 400)]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const reader = new FrameReader(0);
    expect([...reader.acks(wire.subarray(0, cut)), ...reader.acks(wire.subarray(cut))]).toEqual([
      [1, 200],
      [0xffffffff, 400],
    ]);
  }
});

test('a frame longer than the limit, or too short to hold its head, breaks the stream', () => {
  const big = encodeBatch(1, 1, Buffer.alloc(2000), SHA256);
  expect(() => new FrameReader(1024, SHA256).batches(big)).toThrow(
    'a stream frame of 2044 bytes is outside 44..1024',
  );
  const short = Buffer.alloc(8);
  short.writeUInt32LE(4, 0);
  expect(() => new FrameReader(1024, SHA256).batches(short)).toThrow(
    'a stream frame of 4 bytes is outside 44..1024',
  );
  expect(() => new FrameReader(1024).batches(short)).toThrow('a stream frame of 4 bytes is outside 16..1024');
});
