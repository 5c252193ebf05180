/**
 * The ring document (Contract 2): who the members are and in which state. Published by the
 * operator or by `ringcache local`; installed on nodes with PUT /v1/ring. Parsing is strict
 * and pure: a document is either valid as a whole or refused with a message naming the field.
 */

export const MEMBER_STATES = ['joining', 'active', 'leaving'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

export interface RingMember {
  /** Stable identity (the StatefulSet pod name); never a pod IP. */
  id: string;
  /** host:port the member serves on (a DNS name in Kubernetes). */
  address: string;
  state: MemberState;
}

export interface RingDocument {
  epoch: number;
  replicationFactor: number;
  members: RingMember[];
  publisher?: { holder: string; leaseTransitions: number };
}

export class RingError extends Error {
  readonly code = 'INVALID_RING';
  constructor(message: string) {
    super(message);
    this.name = 'RingError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function nonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RingError(`${field} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function parseRingDocument(json: unknown): RingDocument {
  if (!isObject(json)) throw new RingError('the ring document must be a JSON object');
  const epoch = nonNegativeInteger(json.epoch, 'epoch');
  const replicationFactor = nonNegativeInteger(json.replicationFactor, 'replicationFactor');
  if (replicationFactor < 1) throw new RingError('replicationFactor must be at least 1');
  if (!Array.isArray(json.members)) throw new RingError('members must be an array');
  const ids = new Set<string>();
  const members = json.members.map((member: unknown, i): RingMember => {
    if (!isObject(member)) throw new RingError(`members[${i}] must be an object`);
    const { id, address, state } = member;
    if (typeof id !== 'string' || id.length === 0 || id.length > 253) {
      throw new RingError(`members[${i}].id must be a non-empty string of at most 253 characters`);
    }
    if (ids.has(id)) throw new RingError(`members[${i}].id ${JSON.stringify(id)} appears twice`);
    ids.add(id);
    if (typeof address !== 'string' || !/^[^\s/]+:\d{1,5}$/.test(address)) {
      throw new RingError(`members[${i}].address must be host:port, got ${JSON.stringify(address)}`);
    }
    if (!(MEMBER_STATES as readonly unknown[]).includes(state)) {
      throw new RingError(
        `members[${i}].state must be one of ${MEMBER_STATES.join(', ')}, got ${JSON.stringify(state)}`,
      );
    }
    return { id, address, state: state as MemberState };
  });
  const document: RingDocument = { epoch, replicationFactor, members };
  if (json.publisher !== undefined) {
    const { publisher } = json;
    if (!isObject(publisher) || typeof publisher.holder !== 'string') {
      throw new RingError('publisher must be {"holder": string, "leaseTransitions": integer}');
    }
    document.publisher = {
      holder: publisher.holder,
      leaseTransitions: nonNegativeInteger(publisher.leaseTransitions, 'publisher.leaseTransitions'),
    };
  }
  return document;
}

/** Epochs only grow: a node installs a document only when its epoch is higher than its own. */
export function isNewerRing(current: RingDocument | undefined, candidate: RingDocument): boolean {
  return current === undefined || candidate.epoch > current.epoch;
}
