/**
 * Where the client sends a key: pure. With a ring, the key's owners in the order the nodes
 * themselves use (the primary first, then the other replicas), then any endpoint not among
 * them; without one, the endpoints, starting from a rotating offset to spread the load.
 */
import { ownersForWrite, type Ring, type RingDocument } from '../ring/index.js';

export interface Routing {
  document: RingDocument;
  ring: Ring;
  addressOf: ReadonlyMap<string, string>;
}

const owners: string[] = [];

export function targetsFor(
  routing: Routing | undefined,
  endpoints: readonly string[],
  key: string,
  attempts: number,
  offset: number,
): string[] {
  const targets: string[] = [];
  if (routing !== undefined) {
    for (const id of ownersForWrite(routing.ring, key, owners)) {
      const address = routing.addressOf.get(id);
      if (address !== undefined && !targets.includes(address)) targets.push(address);
      if (targets.length === attempts) return targets;
    }
  }
  for (let i = 0; i < endpoints.length && targets.length < attempts; i++) {
    const endpoint = endpoints[(offset + i) % endpoints.length];
    if (!targets.includes(endpoint)) targets.push(endpoint);
  }
  return targets;
}
