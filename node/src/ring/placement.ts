/**
 * Ownership during membership changes, so that no acknowledged write is lost while members
 * join or leave. A ring document defines two views:
 *
 * - the current view: members `active` or `leaving` (they hold the data today);
 * - the next view: members `active` or `joining` (they will hold it once the change is done).
 *
 * A key's replicas are its owners in the current view followed by its owners in the next view
 * that are not already listed. Reads ask them in that order (current holders first). Writes go
 * to all of them and are acknowledged only when the consistency level is met in BOTH views
 * (as in joint consensus), so a write acknowledged during a change survives its completion.
 * When a cluster starts with every member joining, the current view is empty and the next
 * view serves alone. Pure.
 */
import type { MemberState, RingDocument, RingMember } from './document.js';
import { buildRing, DEFAULT_VNODES, ownersOfHash, type Ring } from './ring.js';
import { murmur3 } from './hash.js';

export interface Placement {
  document: RingDocument;
  current: Ring;
  next: Ring;
  byId: ReadonlyMap<string, RingMember>;
}

export interface Replicas {
  /** Every member that should receive a write, current holders first; `all[0]` is the primary. */
  all: string[];
  /** The key's owners in the current view (may be empty at cluster start). */
  current: string[];
  /** The key's owners in the next view. */
  next: string[];
}

const inCurrent = (state: MemberState) => state !== 'joining';
const inNext = (state: MemberState) => state !== 'leaving';

export function placementOf(document: RingDocument, vnodes = DEFAULT_VNODES): Placement {
  const ids = (keep: (state: MemberState) => boolean) =>
    document.members.filter((m) => keep(m.state)).map((m) => m.id);
  return {
    document,
    current: buildRing(ids(inCurrent), vnodes),
    next: buildRing(ids(inNext), vnodes),
    byId: new Map(document.members.map((m) => [m.id, m])),
  };
}

export function replicasOf(placement: Placement, key: string): Replicas {
  const hash = murmur3(key);
  const rf = placement.document.replicationFactor;
  const current = ownersOfHash(placement.current, hash, rf);
  const next = ownersOfHash(placement.next, hash, rf);
  const all = [...current];
  for (const id of next) if (!all.includes(id)) all.push(id);
  return { all, current, next };
}

/** Acknowledgements a consistency level needs out of `replicas` owners. */
export function acksNeeded(level: 'one' | 'quorum' | 'all', replicas: number): number {
  if (replicas === 0) return 0;
  if (level === 'one') return 1;
  if (level === 'all') return replicas;
  return Math.floor(replicas / 2) + 1;
}

/** Whether the members that acknowledged satisfy `level` in both views. */
export function satisfied(
  replicas: Replicas,
  acked: ReadonlySet<string>,
  level: 'one' | 'quorum' | 'all',
): boolean {
  const enough = (view: string[]) =>
    view.filter((id) => acked.has(id)).length >= acksNeeded(level, view.length);
  return enough(replicas.current) && enough(replicas.next);
}
