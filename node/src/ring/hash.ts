/**
 * The placement hash: MurmurHash3 x86_32 (Austin Appleby, public domain) with seed 0 over the
 * UTF-8 bytes of a string, as an unsigned 32-bit integer. Chosen because every language has
 * it, it has good avalanche on short similar strings ("node-0#17"), and it needs no BigInt.
 * Test vectors: docs/ring.md and node/test/ring/vectors.json.
 */
const encoder = new TextEncoder();
const scratch = new Uint8Array(1024);

export function murmur3(text: string, seed = 0): number {
  // Keys are at most 250 bytes; encodeInto avoids an allocation per lookup.
  let bytes: Uint8Array;
  if (text.length * 3 <= scratch.length) {
    const { written } = encoder.encodeInto(text, scratch);
    bytes = scratch.subarray(0, written);
  } else {
    bytes = encoder.encode(text);
  }
  return murmur3Bytes(bytes, seed);
}

export function murmur3Bytes(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const length = bytes.length;
  const blocks = length & ~3;
  let h = seed | 0;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2] << 16;
    if (tail >= 2) k ^= bytes[blocks + 1] << 8;
    k ^= bytes[blocks];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
