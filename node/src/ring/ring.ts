/**
 * Consistent hashing with virtual nodes. Each member places `vnodes` tokens on a 32-bit
 * circle at murmur3("<id>#<i>"); a key belongs to the members of the first tokens clockwise
 * from murmur3(key), skipping members already chosen. Pure and immutable: a Ring is built
 * once per ring document and read by every request.
 */
import { murmur3 } from './hash.js';

/** Enough tokens for max/mean load <= 1.10 up to 64 members (bench:ring prints the table). */
export const DEFAULT_VNODES = 512;

export interface Ring {
  /** Member ids, sorted; owner indices refer to this array. */
  readonly members: readonly string[];
  /** Token positions, ascending. */
  readonly tokens: Uint32Array;
  /** owners[i]: index into `members` of the member that placed tokens[i]. */
  readonly owners: Uint16Array;
}

export function buildRing(memberIds: readonly string[], vnodes = DEFAULT_VNODES): Ring {
  const members = [...new Set(memberIds)].sort();
  if (members.length > 0xffff) throw new Error(`a ring holds at most 65535 members, got ${members.length}`);
  const count = members.length * vnodes;
  const positions = new Float64Array(count);
  // Sort (token, member) pairs packed into one float: token * 2^16 + member index is exact below 2^53.
  let n = 0;
  members.forEach((id, m) => {
    for (let i = 0; i < vnodes; i++) positions[n++] = murmur3(`${id}#${i}`) * 65536 + m;
  });
  positions.sort();
  const tokens = new Uint32Array(count);
  const owners = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    tokens[i] = Math.floor(positions[i] / 65536);
    owners[i] = positions[i] % 65536;
  }
  return { members, tokens, owners };
}

/** Index of the first token >= hash, wrapping to 0 past the end. */
function firstTokenAtOrAfter(tokens: Uint32Array, hash: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === tokens.length ? 0 : lo;
}

/** The first `count` distinct members clockwise from `hash` (fewer if the ring has fewer). */
export function ownersOfHash(ring: Ring, hash: number, count: number): string[] {
  const want = Math.min(count, ring.members.length);
  const result: string[] = [];
  if (want === 0) return result;
  const chosen = new Set<number>();
  const start = firstTokenAtOrAfter(ring.tokens, hash);
  for (let i = start; result.length < want; i = i + 1 === ring.tokens.length ? 0 : i + 1) {
    const owner = ring.owners[i];
    if (!chosen.has(owner)) {
      chosen.add(owner);
      result.push(ring.members[owner]);
    }
  }
  return result;
}

export function ownersOf(ring: Ring, key: string, count: number): string[] {
  return ownersOfHash(ring, murmur3(key), count);
}

/** Fraction of `keys` whose first `count` owners differ between two rings. */
export function movedFraction(before: Ring, after: Ring, keys: readonly string[], count = 1): number {
  let moved = 0;
  for (const key of keys) {
    const hash = murmur3(key);
    const a = ownersOfHash(before, hash, count);
    const b = ownersOfHash(after, hash, count);
    if (a.length !== b.length || a.some((id) => !b.includes(id))) moved++;
  }
  return keys.length === 0 ? 0 : moved / keys.length;
}
