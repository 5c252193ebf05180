/**
 * Consistent hashing with virtual nodes (docs/ring.md is the spec). Each member places
 * `vnodes` tokens on a 32-bit circle at murmur3("<id>#<i>"); a key belongs to the members of
 * the first tokens clockwise from murmur3(key), skipping members already chosen and members
 * outside the view asked for. Pure and immutable: a Ring is built once per ring document and
 * read by every request, so lookups allocate nothing beyond the result (or reuse `out`).
 */
import type { MemberState, RingDocument } from './document.js';
import { murmur3 } from './hash.js';

/**
 * Tokens per member. A member's share of the circle has a relative spread of about
 * 1/sqrt(vnodes); 2048 keeps the most loaded of 64 members within 10% of the mean for any
 * member names (bench:ring), for 12 KiB per member.
 */
export const DEFAULT_VNODES = 2048;
/** Owner indices are 16-bit; the token count bounds memory (6 bytes a token) and build time. */
const MAX_RING_MEMBERS = 0xffff;
const MAX_TOKENS = 1 << 24;

/**
 * Views select members by state (ownership.ts says why): CURRENT holds the data today
 * (active, leaving), NEXT holds it once the change is done (active, joining), ANY is all.
 */
export const CURRENT = 1;
export const NEXT = 2;
export const ANY = CURRENT | NEXT;
export type View = typeof CURRENT | typeof NEXT | typeof ANY;

const VIEWS_OF: Record<MemberState, number> = { active: ANY, leaving: CURRENT, joining: NEXT };

export interface Ring {
  readonly vnodes: number;
  readonly replicationFactor: number;
  /** Member ids in ascending order; owner indices refer to this array. */
  readonly ids: readonly string[];
  /** views[m]: the CURRENT and NEXT bits of member m. */
  readonly views: Uint8Array;
  /** eligible[view]: how many members a lookup in that view can return. */
  readonly eligible: readonly number[];
  /** Token positions, ascending (ties in member order). */
  readonly tokens: Uint32Array;
  /** owners[i]: index into `ids` of the member that placed tokens[i]. */
  readonly owners: Uint16Array;
  /**
   * Search accelerator: buckets[b] is the first token whose top bits are >= b, so a lookup
   * binary-searches one bucket of about two tokens instead of the whole array.
   */
  readonly buckets: Uint32Array;
  /** 32 minus the bucket bits: a hash's bucket is `hash >>> shift`. */
  readonly shift: number;
  /** Per-lookup marks of members already chosen (stamp = lookup number); private to lookups. */
  readonly scratch: { seen: Uint32Array; stamp: number };
}

export interface RingOptions {
  vnodes?: number;
  /** Owners per key for a ring built from ids (a document brings its own). Default 1. */
  replicationFactor?: number;
}

/**
 * A ring over a document's members (each in the views its state puts it in), or over bare
 * member ids (all active). The order members are given in does not matter.
 */
export function buildRing(source: RingDocument | readonly string[], options: RingOptions = {}): Ring {
  const vnodes = options.vnodes ?? DEFAULT_VNODES;
  const isIds = Array.isArray(source);
  const given = isIds
    ? (source as readonly string[]).map((id) => ({ id, state: 'active' as MemberState }))
    : (source as RingDocument).members;
  const replicationFactor = isIds
    ? (options.replicationFactor ?? 1)
    : (source as RingDocument).replicationFactor;
  if (!Number.isSafeInteger(vnodes) || vnodes < 1) throw new RangeError(`vnodes must be >= 1, got ${vnodes}`);
  if (!Number.isSafeInteger(replicationFactor) || replicationFactor < 1) {
    throw new RangeError(`replicationFactor must be >= 1, got ${replicationFactor}`);
  }
  if (given.length > MAX_RING_MEMBERS || given.length * vnodes > MAX_TOKENS) {
    throw new RangeError(`a ring holds at most ${MAX_TOKENS} tokens, got ${given.length} x ${vnodes}`);
  }
  // Code-unit order equals byte order for the ASCII ids a document allows.
  const members = [...given].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let m = 1; m < members.length; m++) {
    if (members[m].id === members[m - 1].id) throw new RangeError(`member ${members[m].id} appears twice`);
  }
  const count = members.length * vnodes;
  // (token, member) pairs packed as token * 2^16 + member: exact below 2^53, one numeric sort.
  const packed = new Float64Array(count);
  let n = 0;
  for (let m = 0; m < members.length; m++) {
    const { id } = members[m];
    for (let i = 0; i < vnodes; i++) packed[n++] = murmur3(`${id}#${i}`) * 65536 + m;
  }
  packed.sort();
  const tokens = new Uint32Array(count);
  const owners = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    tokens[i] = Math.floor(packed[i] / 65536);
    owners[i] = packed[i] % 65536;
  }
  // About two tokens a bucket, at most 2^16 buckets (256 KiB); a shift of 32 would be 0 in JS.
  const bits = Math.min(16, Math.max(1, Math.floor(Math.log2(Math.max(count, 1))) - 1));
  const shift = 32 - bits;
  const buckets = new Uint32Array((1 << bits) + 1);
  for (let b = 0, i = 0; b < buckets.length; b++) {
    while (i < count && tokens[i] >>> shift < b) i++;
    buckets[b] = i;
  }
  const views = Uint8Array.from(members, (m) => VIEWS_OF[m.state]);
  const eligible = [0, CURRENT, NEXT, ANY].map((view) => views.filter((v) => (v & view) !== 0).length);
  return {
    vnodes,
    replicationFactor,
    ids: members.map((m) => m.id),
    views,
    eligible,
    tokens,
    owners,
    buckets,
    shift,
    scratch: { seen: new Uint32Array(members.length), stamp: 0 },
  };
}

/** Index of the first token >= hash, wrapping to 0 past the end. */
function firstTokenAtOrAfter(ring: Ring, hash: number): number {
  const { tokens, buckets } = ring;
  const bucket = hash >>> ring.shift;
  let lo = buckets[bucket];
  let hi = buckets[bucket + 1];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid] < hash) lo = mid + 1;
    else hi = mid;
  }
  return lo === tokens.length ? 0 : lo;
}

/**
 * The first `count` distinct members of `view` clockwise from `hash` (an unsigned 32-bit
 * murmur3), fewer when the view has fewer, into `out` (cleared first) and returned.
 */
export function ownersOfHash(
  ring: Ring,
  hash: number,
  count: number,
  view: View = ANY,
  out: string[] = [],
): string[] {
  out.length = 0;
  const want = Math.min(count, ring.eligible[view]);
  if (!(want > 0)) return out;
  const { tokens, owners, views, ids, scratch } = ring;
  // A fresh stamp marks this lookup's choices without clearing `seen`; clear it on wrap-around.
  if (++scratch.stamp === 0xffffffff) {
    scratch.seen.fill(0);
    scratch.stamp = 1;
  }
  const { seen, stamp } = scratch;
  const n = tokens.length;
  let i = firstTokenAtOrAfter(ring, hash);
  // Every eligible member has a token, so one turn of the circle always finds `want` of them.
  for (let steps = 0; steps < n && out.length < want; steps++) {
    const m = owners[i];
    if ((views[m] & view) !== 0 && seen[m] !== stamp) {
      seen[m] = stamp;
      out.push(ids[m]);
    }
    if (++i === n) i = 0;
  }
  return out;
}

export function ownersOf(
  ring: Ring,
  key: string,
  count: number,
  view: View = ANY,
  out: string[] = [],
): string[] {
  return ownersOfHash(ring, murmur3(key), count, view, out);
}

/**
 * Fraction of `keys` whose set of first `count` owners (in `view`) differs between two rings:
 * the share of data a membership change moves.
 */
export function movedFraction(
  before: Ring,
  after: Ring,
  keys: Iterable<string>,
  count = 1,
  view: View = ANY,
): number {
  const a: string[] = [];
  const b: string[] = [];
  let moved = 0;
  let total = 0;
  for (const key of keys) {
    const hash = murmur3(key);
    ownersOfHash(before, hash, count, view, a);
    ownersOfHash(after, hash, count, view, b);
    if (a.length !== b.length || a.some((id) => !b.includes(id))) moved++;
    total++;
  }
  return total === 0 ? 0 : moved / total;
}
