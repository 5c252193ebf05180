/**
 * Who owns a key while members join and leave, so that no acknowledged write is lost by
 * scaling out or in (docs/ring.md, "Member states and ownership"). A ring document defines
 * two views of its members:
 *
 * - CURRENT: members `active` or `leaving`: they hold the data today;
 * - NEXT: members `active` or `joining`: they hold it once the change is done.
 *
 * A key's replicas are its RF owners in CURRENT, then its RF owners in NEXT not already
 * listed. Writes go to all of them and are acknowledged only when the consistency level is met
 * in BOTH views (as in joint consensus), so a write acknowledged during a change survives its
 * completion whichever way it ends. Reads ask the CURRENT owners first (they hold every
 * acknowledged write) and fall back to the NEXT-only owners. A leaving member thus keeps
 * receiving writes until it is removed, and a joining member receives them at once. When
 * every member is joining (a new cluster) CURRENT is empty and NEXT serves alone. Pure.
 */
import { murmur3 } from './hash.js';
import { ANY, CURRENT, NEXT, ownersOfHash, type Ring } from './ring.js';

export type Consistency = 'one' | 'quorum' | 'all';

export interface Replicas {
  /** Every member that should receive a write, CURRENT owners first; `all[0]` is the primary. */
  all: string[];
  /** The key's owners in the CURRENT view (empty when no member is active or leaving). */
  current: string[];
  /** The key's owners in the NEXT view. */
  next: string[];
}

/** Whether no member is joining or leaving: then both views are every member. */
const settled = (ring: Ring) =>
  ring.eligible[CURRENT] === ring.eligible[ANY] && ring.eligible[NEXT] === ring.eligible[ANY];

/** The CURRENT owners, then the NEXT owners not among them, into `out`. */
function union(ring: Ring, hash: number, out: string[], next: string[]): string[] {
  // Outside changes, one walk gives both views (the common case, on every request).
  if (settled(ring)) return ownersOfHash(ring, hash, ring.replicationFactor, ANY, out);
  ownersOfHash(ring, hash, ring.replicationFactor, CURRENT, out);
  ownersOfHash(ring, hash, ring.replicationFactor, NEXT, next);
  for (const id of next) if (!out.includes(id)) out.push(id);
  return out;
}

export function replicasOf(ring: Ring, key: string): Replicas {
  const hash = murmur3(key);
  const current = ownersOfHash(ring, hash, ring.replicationFactor, CURRENT);
  const next = ownersOfHash(ring, hash, ring.replicationFactor, NEXT);
  const all = [...current];
  for (const id of next) if (!all.includes(id)) all.push(id);
  return { all, current, next };
}

const nextScratch: string[] = [];

/** Members a write of `key` goes to: CURRENT owners first, then NEXT-only owners. */
export function ownersForWrite(ring: Ring, key: string, out: string[] = []): string[] {
  return union(ring, murmur3(key), out, nextScratch);
}

/**
 * Members to ask for `key`, in order: CURRENT owners (they hold every acknowledged write), then
 * NEXT-only owners as a fallback (they hold the writes made since the change began and what
 * has been handed to them so far). The same members as for a write, named for the intent.
 */
export function ownersForRead(ring: Ring, key: string, out: string[] = []): string[] {
  return union(ring, murmur3(key), out, nextScratch);
}

const primaryScratch: string[] = [];

/** The member a ring-aware client sends `key` to: its first replica; undefined on an empty ring. */
export function primaryOf(ring: Ring, key: string): string | undefined {
  const hash = murmur3(key);
  return (
    ownersOfHash(ring, hash, 1, CURRENT, primaryScratch)[0] ??
    ownersOfHash(ring, hash, 1, NEXT, primaryScratch)[0]
  );
}

/** Acknowledgements a consistency level needs out of `replicas` owners. */
export function acksNeeded(level: Consistency, replicas: number): number {
  if (replicas === 0) return 0;
  if (level === 'one') return 1;
  if (level === 'all') return replicas;
  return Math.floor(replicas / 2) + 1;
}

/**
 * Whether the members that acknowledged a write satisfy `level` in both views. An empty view
 * asks nothing (a new cluster has no current view), but a key with no owner at all is never
 * acknowledged: nobody would hold it.
 */
export function writeSatisfied(replicas: Replicas, acked: ReadonlySet<string>, level: Consistency): boolean {
  if (replicas.all.length === 0) return false;
  const enough = (view: string[]) => {
    let n = 0;
    for (const id of view) if (acked.has(id)) n++;
    return n >= acksNeeded(level, view.length);
  };
  return enough(replicas.current) && enough(replicas.next);
}

/**
 * The members whose answers count toward a read's consistency level: the CURRENT owners, or
 * the NEXT owners when the key has none in CURRENT (a new cluster). Answers from NEXT-only
 * owners are a fallback when CURRENT owners are down: they may lack data not yet handed off.
 */
export function readView(replicas: Replicas): string[] {
  return replicas.current.length > 0 ? replicas.current : replicas.next;
}
