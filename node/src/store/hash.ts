/**
 * A 32-bit FNV-1a hash over a string's UTF-16 code units, for the frequency sketch.
 * It only has to spread keys well inside one process, so it skips UTF-8 encoding.
 * (Placement on the ring uses its own, documented hash: node/src/ring.)
 */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** UTF-8 byte length of `s` without allocating; ASCII costs one loop. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2; // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
        i++;
        continue;
      }
      n += 2; // a lone surrogate is encoded as U+FFFD, 3 bytes
    } else n += 2;
  }
  return n;
}
