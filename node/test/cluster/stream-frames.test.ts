import { encodeEntries, decodeEntries } from '../../src/cluster/entry-frames.js';
import { encodeAck, encodeBatch, FrameReader } from '../../src/cluster/stream-frames.js';

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
  const wire = Buffer.concat([encodeBatch(1, 3, entries), encodeBatch(2, 4, encodeEntries([]))]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const reader = new FrameReader(1024);
    const frames = [...reader.batches(wire.subarray(0, cut)), ...reader.batches(wire.subarray(cut))];
    expect(frames.map((f) => [f.sequence, f.epoch, f.intact])).toEqual([
      [1, 3, true],
      [2, 4, true],
    ]);
    expect(decodeEntries(frames[0].entries, 10).map((e) => e.value.toString())).toEqual(['one', 'two']);
  }
});

test('a protocol 1 batch with any byte of its entries or checksum changed is read as not intact', () => {
  const frame = encodeBatch(9, 1, encodeEntries([entry('k', 'value')]));
  for (let at = 16; at < frame.length; at++) {
    const broken = Buffer.from(frame);
    broken[at] ^= 0x20;
    expect(new FrameReader(1024).batches(broken)[0].intact).toBe(false);
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
  const big = encodeBatch(1, 1, Buffer.alloc(2000));
  expect(() => new FrameReader(1024).batches(big)).toThrow(
    'a stream frame of 2044 bytes is outside 44..1024',
  );
  const short = Buffer.alloc(8);
  short.writeUInt32LE(4, 0);
  expect(() => new FrameReader(1024).batches(short)).toThrow('a stream frame of 4 bytes is outside 44..1024');
});
