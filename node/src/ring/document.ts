/**
 * The ring document (Contract 2): who the members are and in which state. Published by the
 * operator or by the local launcher; installed on nodes with PUT /v1/ring. Parsing is strict
 * and pure: a document is either valid as a whole or refused with a message naming the field.
 * Unknown fields are ignored, so a newer publisher can add some without breaking older nodes.
 */

export const MEMBER_STATES = ['joining', 'active', 'leaving'] as const;
export type MemberState = (typeof MEMBER_STATES)[number];

/** Owner indices are 16-bit and every member places thousands of tokens: keep rings small. */
export const MAX_MEMBERS = 1024;

export interface RingMember {
  /** Stable identity (the StatefulSet pod name); never a pod IP. */
  id: string;
  /** host:port the member serves on (a DNS name in Kubernetes). */
  address: string;
  state: MemberState;
}

export interface RingPublisher {
  /** Lease holder that published this document (the operator pod, or the local launcher). */
  holder: string;
  leaseTransitions: number;
}

export interface RingDocument {
  epoch: number;
  replicationFactor: number;
  members: RingMember[];
  /** Absent when no lease stands behind the document (a single local node, tests). */
  publisher?: RingPublisher;
}

export class RingError extends Error {
  readonly code = 'INVALID_RING';
  constructor(message: string) {
    super(message);
    this.name = 'RingError';
  }
}

/**
 * Member ids are hashed as `<id>#<i>` and tie-broken by id order: ASCII without `#` keeps both
 * the same in every language (no UTF-16 vs UTF-8 ordering, no Unicode normalization).
 */
const ID = /^[A-Za-z0-9._-]{1,253}$/;
/** host:port; the host is a DNS name, an IPv4 address or a bracketed IPv6 address. */
const ADDRESS = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A value for an error message: JSON, cut short so a huge input cannot make a huge message. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function nonNegativeInteger(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RingError(`${field} must be a non-negative integer, got ${show(value)}`);
  }
  return value;
}

function parseMember(
  member: unknown,
  i: number,
  ids: Set<string>,
  addresses: Map<string, string>,
): RingMember {
  const field = `members[${i}]`;
  if (!isObject(member)) throw new RingError(`${field} must be an object, got ${show(member)}`);
  const { id, address, state } = member;
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new RingError(`${field}.id must be 1 to 253 characters of A-Z a-z 0-9 . _ -, got ${show(id)}`);
  }
  if (ids.has(id)) throw new RingError(`${field}.id ${show(id)} appears twice`);
  ids.add(id);
  const port = typeof address === 'string' ? ADDRESS.exec(address)?.[1] : undefined;
  if (port === undefined || Number(port) < 1 || Number(port) > 65535) {
    throw new RingError(
      `${field}.address must be host:port with a port from 1 to 65535, got ${show(address)}`,
    );
  }
  // Two members at one address would be one node counted as two owners: a write acknowledged by
  // "both" would be held once.
  const other = addresses.get((address as string).toLowerCase());
  if (other !== undefined) {
    throw new RingError(`${field}.address ${show(address)} is also the address of member ${show(other)}`);
  }
  addresses.set((address as string).toLowerCase(), id);
  if (!(MEMBER_STATES as readonly unknown[]).includes(state)) {
    throw new RingError(`${field}.state must be one of ${MEMBER_STATES.join(', ')}, got ${show(state)}`);
  }
  return { id, address: address as string, state: state as MemberState };
}

function parsePublisher(publisher: unknown): RingPublisher {
  if (!isObject(publisher)) throw new RingError(`publisher must be an object, got ${show(publisher)}`);
  const { holder, leaseTransitions } = publisher;
  if (typeof holder !== 'string' || holder.length === 0) {
    throw new RingError(`publisher.holder must be a non-empty string, got ${show(holder)}`);
  }
  return { holder, leaseTransitions: nonNegativeInteger(leaseTransitions, 'publisher.leaseTransitions') };
}

export function parseRingDocument(json: unknown): RingDocument {
  if (!isObject(json)) throw new RingError('the ring document must be a JSON object');
  const epoch = nonNegativeInteger(json.epoch, 'epoch');
  const replicationFactor = json.replicationFactor;
  if (
    typeof replicationFactor !== 'number' ||
    !Number.isSafeInteger(replicationFactor) ||
    replicationFactor < 1
  ) {
    throw new RingError(`replicationFactor must be an integer of at least 1, got ${show(replicationFactor)}`);
  }
  if (!Array.isArray(json.members))
    throw new RingError(`members must be an array, got ${show(json.members)}`);
  if (json.members.length > MAX_MEMBERS) {
    throw new RingError(`members must have at most ${MAX_MEMBERS} entries, got ${json.members.length}`);
  }
  const ids = new Set<string>();
  const addresses = new Map<string, string>();
  const members = json.members.map((member: unknown, i) => parseMember(member, i, ids, addresses));
  const document: RingDocument = { epoch, replicationFactor, members };
  if (json.publisher !== undefined) document.publisher = parsePublisher(json.publisher);
  return document;
}

/** Epochs only grow: a node installs a document only when its epoch is higher than its own. */
export function isNewerRing(current: RingDocument | undefined, candidate: RingDocument): boolean {
  return current === undefined || candidate.epoch > current.epoch;
}

export type RingAdmission =
  { install: true } | { install: false; code: 'STALE_RING' | 'DEPOSED_PUBLISHER'; message: string };

/**
 * Whether a node installs `candidate` over `current`. Beyond a higher epoch, a document
 * published under a Lease must come from the current term: a leader deposed while it was
 * publishing (fewer lease transitions, or the same term under another holder) is refused even
 * with a higher epoch, so two operators can never interleave rings. A document without a
 * publisher cannot replace one published under a Lease.
 */
export function admitRing(current: RingDocument | undefined, candidate: RingDocument): RingAdmission {
  if (!isNewerRing(current, candidate)) {
    return {
      install: false,
      code: 'STALE_RING',
      message: `epoch ${candidate.epoch} is not newer than the installed ${current?.epoch}`,
    };
  }
  const held = current?.publisher;
  if (held === undefined) return { install: true };
  const by = candidate.publisher;
  if (by === undefined) {
    return {
      install: false,
      code: 'DEPOSED_PUBLISHER',
      message: `a ring without a publisher cannot replace one published by ${held.holder} (lease transitions ${held.leaseTransitions})`,
    };
  }
  const deposed =
    by.leaseTransitions < held.leaseTransitions ||
    (by.leaseTransitions === held.leaseTransitions && by.holder !== held.holder);
  if (deposed) {
    return {
      install: false,
      code: 'DEPOSED_PUBLISHER',
      message: `publisher ${by.holder} (lease transitions ${by.leaseTransitions}) was deposed by ${held.holder} (lease transitions ${held.leaseTransitions})`,
    };
  }
  return { install: true };
}
