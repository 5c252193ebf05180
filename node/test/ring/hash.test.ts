/** The placement hash: published MurmurHash3_x86_32 vectors, the project's vectors, UTF-8 handling. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { murmur3, murmur3Bytes } from '../../src/ring/hash.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as {
  hashes: Array<{ input: string; murmur3: number }>;
};
const page = readFileSync(new URL('../../../docs/ring.md', import.meta.url), 'utf8');

test('matches published MurmurHash3_x86_32 vectors (seeds, tails of 0-3 bytes, UTF-8)', () => {
  // Widely published values of the reference implementation (SMHasher's MurmurHash3_x86_32).
  const utf8: Array<[string, number, number]> = [
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['hello', 0, 0x248bfa47],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['ab', 0x9747b28c, 0x74875592],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ['a'.repeat(256), 0x9747b28c, 0x37405bdc],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 0, 0xee925b90],
  ];
  for (const [input, seed, expected] of utf8)
    expect([input, seed, murmur3(input, seed)]).toEqual([input, seed, expected]);
  const bytes: Array<[number[], number, number]> = [
    [[0, 0, 0, 0], 0, 0x2362f9de],
    [[0, 0, 0], 0, 0x85f0b427],
    [[0, 0], 0, 0x30f4c306],
    [[0], 0, 0x514e28b7],
    [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
    [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
    [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
  ];
  for (const [input, seed, expected] of bytes) {
    expect([input, seed, murmur3Bytes(Uint8Array.from(input), seed)]).toEqual([input, seed, expected]);
  }
});

test('matches the project vectors, and docs/ring.md lists each', () => {
  for (const { input, murmur3: expected } of vectors.hashes) {
    expect(murmur3(input)).toBe(expected);
    expect(page).toContain(`| ${JSON.stringify(input)} | ${expected} |`);
  }
});

test('hashes the UTF-8 bytes of any string, short or long', () => {
  const encoder = new TextEncoder();
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: 'grapheme', maxLength: 600 }),
        fc.string({ unit: 'binary', maxLength: 600 }),
      ),
      (text) => {
        const hash = murmur3(text);
        expect(hash).toBe(murmur3Bytes(encoder.encode(text)));
        expect(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32).toBe(true);
      },
    ),
  );
});
