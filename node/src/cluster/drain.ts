/**
 * Draining a node that is about to stop outside a membership change (the preStop hook of a
 * pod being deleted: a rolling update, an eviction, a manual scale-in). The publisher's
 * protocol (leaving, hand-off, removal) is the way to remove a node; this is the backstop that
 * keeps a node's only copies alive when that protocol was skipped.
 *
 * For each key the node holds, its successors are the key's owners in the ring as it would
 * be with this node leaving. A successor that already owns the key gets a plain copy (it
 * repairs a lagging replica); any other successor gets the copy as a hint for this node, so a
 * node that comes back (same identity, empty) gets its data again, and a node that never
 * comes back has its hints delivered to the key's owners once a ring without it arrives.
 */
import { NEXT, ownersOf, type Ring, buildRing, type RingDocument } from '../ring/index.js';

export interface DrainTargets {
  /** Successors that own the key today: plain copies. */
  copies: string[];
  /** Successors that do not: hints held for the draining node. */
  hints: string[];
}

/** The ring as it would be with `selfId` leaving (the document itself when it already is). */
export function ringWithoutSelf(document: RingDocument, selfId: string): Ring {
  return buildRing({
    ...document,
    members: document.members.map((m) => (m.id === selfId ? { ...m, state: 'leaving' as const } : m)),
  });
}

export function drainTargets(
  successorsRing: Ring,
  currentOwners: readonly string[],
  selfId: string,
  key: string,
): DrainTargets {
  const copies: string[] = [];
  const hints: string[] = [];
  for (const id of ownersOf(successorsRing, key, successorsRing.replicationFactor, NEXT)) {
    if (id === selfId) continue;
    (currentOwners.includes(id) ? copies : hints).push(id);
  }
  return { copies, hints };
}
