/**
 * A node's view of the installed ring document: the token ring built once per document and
 * members by id, so requests look owners up without rebuilding anything.
 */
import { buildRing, type Ring, type RingDocument, type RingMember } from '../ring/index.js';

export interface Placement {
  readonly document: RingDocument;
  readonly ring: Ring;
  readonly byId: ReadonlyMap<string, RingMember>;
}

export function placementOf(document: RingDocument): Placement {
  return {
    document,
    ring: buildRing(document),
    byId: new Map(document.members.map((m) => [m.id, m])),
  };
}
