import * as zlib from 'node:zlib';
import { crc32, crc32Portable } from '../../src/cluster/checksum.js';

test('CRC-32 matches the standard check value and the native one', () => {
  expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  expect(crc32Portable(Buffer.from('123456789'))).toBe(0xcbf43926);
  expect(crc32Portable(Buffer.alloc(0))).toBe(0);
  const native = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
  for (let size = 0; size < 600; size += 37) {
    const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 131 + size) & 0xff));
    expect(crc32Portable(data)).toBe(native ? native(data) : crc32(data));
  }
});

test('CRC-32 changes with any single flipped bit', () => {
  const data = Buffer.from('a batch of entries, as the stream carries it');
  const sum = crc32(data);
  for (let bit = 0; bit < data.length * 8; bit++) {
    const flipped = Buffer.from(data);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    expect(crc32(flipped)).not.toBe(sum);
    expect(crc32Portable(flipped)).not.toBe(sum);
  }
});
