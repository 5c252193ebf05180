/**
 * The scaling state machine: from what is observed (desired replicas, the StatefulSet, Ready pods,
 * the published ring and what each member reports) to the ONE next action. The reconcile loop
 * performs it and asks again; `steady` or `wait` ends a pass. Pure.
 *
 * Safety rests on the ring's two views (docs/ring.md) and on how nodes hand off
 * (docs/cluster.md): on each new ring a node sends what it holds to the owners that are new
 * compared with the ring it had before, and abandons that hand-off if a newer ring arrives. So:
 *
 * - Every publication waits until each member has finished its hand-off of the current epoch
 *   (reported for that epoch). Publishing sooner would cut a hand-off short, and the next
 *   ring's hand-off would not resend what the cut one skipped. The one exception: joiners being
 *   dropped need not report, since a joiner holds only writes the current view also holds.
 * - The current view changes only by becoming the next view, all at once, when every joiner has
 *   its share: activating one joiner while another still joins would make it owner of keys it
 *   never received.
 * - Within that, the next view may change: add Ready pods as joiners, drop joiners no longer
 *   wanted, mark the highest ordinals leaving, or make a leaving member active again (it is in
 *   the current view throughout, so it has its share).
 * - While the ring forms (every member joining, no current view) the joiners hold the only
 *   copies: the member set is frozen until they are all active.
 * - The StatefulSet grows at once, but shrinks only down to the highest ordinal still in the
 *   ring, so a pod is deleted only after its member left the ring.
 * - Scaling to 0 publishes an empty ring at once: nobody is left to hand off to, and 0 means the
 *   contents are dropped.
 * - A replicationFactor change (the CRD makes it immutable, so only an old CRD meets it) is
 *   published alone, from a settled ring with no change in flight.
 *
 * Epochs only grow: every published document is the previous epoch + 1.
 */
import type { RingDocument, RingMember } from '../../node/src/ring/document.js';
import { memberAddress, memberId, ordinalOf } from './names.js';

export interface MemberStatus {
  id: string;
  /** Epoch of the ring the node has installed: its flags are about that ring. */
  ringEpoch: number;
  /** The member has finished sending what it holds to the owners new in that ring. */
  handoffComplete: boolean;
  /** The member holds its whole share of that ring's next view (what a joiner waits for). */
  shareReady: boolean;
}

export interface ScalingInput {
  cluster: string;
  namespace: string;
  /** spec.replicas */
  desiredReplicas: number;
  /** spec.replicationFactor */
  replicationFactor: number;
  /** The StatefulSet's spec.replicas (0 when it does not exist yet). */
  statefulSetReplicas: number;
  /** Names of the cluster's pods whose Ready condition is True. */
  readyPods: readonly string[];
  /** The ring last published; undefined before the first. */
  ring: RingDocument | undefined;
  /** What the members report (memberStatuses); a member that did not answer is absent. */
  memberStatus: readonly MemberStatus[];
  /** Stamped on published documents (Contract 2). */
  publisher?: RingDocument['publisher'];
  /**
   * The ring address of a joining pod; default the pod's DNS name (names.ts memberAddress). The
   * operator's --member-address=pod-ip gives its pod IP instead, for harnesses without DNS.
   */
  addressOf?: (ordinal: number) => string;
}

export type ScalingAction =
  | { kind: 'grow-statefulset'; replicas: number }
  | { kind: 'publish-ring'; document: RingDocument }
  | { kind: 'shrink-statefulset'; replicas: number }
  /**
   * `untilPodsReady`: all it waits for is pods turning Ready, which the pod watch reports, so the
   * next pass need not poll the nodes (hand-offs, which only polling sees, are not pending).
   */
  | { kind: 'wait'; reason: string; untilPodsReady?: true }
  | { kind: 'steady' };

export function nextScalingAction(input: ScalingInput): ScalingAction {
  checkInput(input);
  const ring = input.ring ?? { epoch: 0, replicationFactor: input.replicationFactor, members: [] };
  const desired = input.desiredReplicas;
  const current = input.statefulSetReplicas;

  // Growing only adds pods, which join the ring once Ready: always safe, and first, so the pods
  // boot while the rest proceeds.
  if (desired > current) return { kind: 'grow-statefulset', replicas: desired };

  const next = nextDocument(input, ring);
  if (next !== undefined) {
    const document: RingDocument = { epoch: ring.epoch + 1, ...next };
    if (input.publisher !== undefined) document.publisher = { ...input.publisher };
    return { kind: 'publish-ring', document };
  }

  const floor = Math.max(desired, highestOrdinal(input.cluster, ring) + 1);
  if (floor < current) return { kind: 'shrink-statefulset', replicas: floor };

  const wait = waitReason(input, ring);
  if (wait === undefined) return { kind: 'steady' };
  return wait.untilPodsReady
    ? { kind: 'wait', reason: wait.reason, untilPodsReady: true }
    : { kind: 'wait', reason: wait.reason };
}

type NextDocument = Pick<RingDocument, 'replicationFactor' | 'members'>;

/** The next document's contents, or undefined when the published one stays for now. */
function nextDocument(input: ScalingInput, ring: RingDocument): NextDocument | undefined {
  const rf = ring.members.length === 0 ? input.replicationFactor : ring.replicationFactor;
  if (input.desiredReplicas === 0) {
    return ring.members.length > 0 ? { replicationFactor: input.replicationFactor, members: [] } : undefined;
  }
  const unsettled = pendingHandoffs(ring, input.memberStatus);

  if (isForming(ring)) {
    const done = unsettled.length === 0 && pendingShares(ring, input.memberStatus).length === 0;
    return done ? { replicationFactor: rf, members: completed(ring.members) } : undefined;
  }

  const steered = steer(input, ring.members);
  if (!sameMembers(steered, ring.members)) {
    const dropped = new Set(ring.members.filter((m) => !steered.some((s) => s.id === m.id)).map((m) => m.id));
    return unsettled.every((id) => dropped.has(id)) ? { replicationFactor: rf, members: steered } : undefined;
  }
  if (unsettled.length > 0) return undefined;

  if (inTransition(ring)) {
    if (pendingShares(ring, input.memberStatus).length > 0) return undefined;
    const done = completed(ring.members);
    // Never complete into an empty ring while replicas are wanted: the leavers would take the
    // only copies with them. Wait for pods to join instead.
    return done.length > 0 ? { replicationFactor: rf, members: done } : undefined;
  }
  if (ring.members.length > 0 && ring.replicationFactor !== input.replicationFactor) {
    return { replicationFactor: input.replicationFactor, members: ring.members };
  }
  return undefined;
}

/**
 * Moves the next view toward members 0..desired-1: wanted members stay or become active
 * (cancelling a leave), unwanted ones leave, unwanted joiners are dropped (the current view holds
 * their keys), and Ready pods not yet in the ring join.
 */
function steer(input: ScalingInput, members: readonly RingMember[]): RingMember[] {
  const { cluster, namespace, desiredReplicas } = input;
  const out: RingMember[] = [];
  for (const member of members) {
    const ordinal = ordinalOf(cluster, member.id);
    const wanted = ordinal !== undefined && ordinal < desiredReplicas;
    if (member.state === 'joining') {
      if (wanted) out.push(member);
      continue;
    }
    out.push({ ...member, state: wanted ? 'active' : 'leaving' });
  }
  const inRing = new Set(members.map((m) => m.id));
  const ready = new Set(input.readyPods);
  const pods = Math.min(desiredReplicas, input.statefulSetReplicas);
  const addressOf = input.addressOf ?? ((ordinal: number) => memberAddress(cluster, namespace, ordinal));
  for (let ordinal = 0; ordinal < pods; ordinal++) {
    const id = memberId(cluster, ordinal);
    if (!inRing.has(id) && ready.has(id)) {
      out.push({ id, address: addressOf(ordinal), state: 'joining' });
    }
  }
  return sortMembers(cluster, out);
}

const isForming = (ring: RingDocument) =>
  ring.members.length > 0 && ring.members.every((m) => m.state === 'joining');
const inTransition = (ring: RingDocument) => ring.members.some((m) => m.state !== 'active');

/** Reports about this ring only: flags about an older one say nothing about this one's owners. */
function freshStatus(ring: RingDocument, statuses: readonly MemberStatus[]): Map<string, MemberStatus> {
  return new Map(statuses.filter((s) => s.ringEpoch === ring.epoch).map((s) => [s.id, s]));
}

/** Members that have not reported their hand-off of this epoch complete. */
function pendingHandoffs(ring: RingDocument, statuses: readonly MemberStatus[]): string[] {
  const fresh = freshStatus(ring, statuses);
  return ring.members.filter((m) => fresh.get(m.id)?.handoffComplete !== true).map((m) => m.id);
}

/** Joiners that have not reported their share for this epoch. */
function pendingShares(ring: RingDocument, statuses: readonly MemberStatus[]): string[] {
  const fresh = freshStatus(ring, statuses);
  return ring.members
    .filter((m) => m.state === 'joining' && fresh.get(m.id)?.shareReady !== true)
    .map((m) => m.id);
}

/** The next view made current: joiners active, leavers gone. */
function completed(members: readonly RingMember[]): RingMember[] {
  return members.filter((m) => m.state !== 'leaving').map((m) => ({ ...m, state: 'active' as const }));
}

/** The highest ordinal of this cluster's pods still in the ring, in any state; -1 when none. */
function highestOrdinal(cluster: string, ring: RingDocument): number {
  let highest = -1;
  for (const member of ring.members) highest = Math.max(highest, ordinalOf(cluster, member.id) ?? -1);
  return highest;
}

function waitReason(
  input: ScalingInput,
  ring: RingDocument,
): { reason: string; untilPodsReady: boolean } | undefined {
  const reasons: string[] = [];
  const handoffs = pendingHandoffs(ring, input.memberStatus);
  if (handoffs.length > 0)
    reasons.push(`${handoffs.join(', ')} to finish the hand-off of epoch ${ring.epoch}`);
  const shares = pendingShares(ring, input.memberStatus);
  if (shares.length > 0) reasons.push(`${shares.join(', ')} to receive their share`);
  const inRing = new Set(ring.members.map((m) => m.id));
  const ready = new Set(input.readyPods);
  const notReady: string[] = [];
  const notJoined: string[] = [];
  for (let ordinal = 0; ordinal < input.desiredReplicas; ordinal++) {
    const id = memberId(input.cluster, ordinal);
    if (!inRing.has(id)) (ready.has(id) ? notJoined : notReady).push(id);
  }
  if (notReady.length > 0) reasons.push(`${notReady.join(', ')} to become Ready`);
  if (notJoined.length > 0) reasons.push(`the ring to settle before ${notJoined.join(', ')} can join`);
  const leaving = ring.members.filter((m) => m.state === 'leaving').map((m) => m.id);
  if (reasons.length === 0 && leaving.length > 0) {
    // Settled, yet leavers stay: completing would leave no member (see nextDocument).
    reasons.push(`a member to join before ${leaving.join(', ')} can leave`);
  }
  if (reasons.length === 0) return undefined;
  const onNodes = handoffs.length > 0 || shares.length > 0 || notJoined.length > 0;
  return { reason: `waiting for ${reasons.join('; ')}`, untilPodsReady: !onNodes };
}

function sameMembers(a: readonly RingMember[], b: readonly RingMember[]): boolean {
  if (a.length !== b.length) return false;
  const key = (m: RingMember) => `${m.id}\0${m.address}\0${m.state}`;
  const seen = new Set(a.map(key));
  return b.every((m) => seen.has(key(m)));
}

/** By ordinal, other names after them by id: stable documents are easier to read and diff. */
function sortMembers(cluster: string, members: RingMember[]): RingMember[] {
  const rank = (m: RingMember) => ordinalOf(cluster, m.id) ?? Number.MAX_SAFE_INTEGER;
  return members.sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function checkInput(input: ScalingInput): void {
  for (const field of ['desiredReplicas', 'statefulSetReplicas'] as const) {
    const value = input[field];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new Error(`${field} must be a non-negative integer, got ${value}`);
    }
  }
  if (!Number.isSafeInteger(input.replicationFactor) || input.replicationFactor < 1) {
    throw new Error(`replicationFactor must be a positive integer, got ${input.replicationFactor}`);
  }
}

/** What a node says about itself in GET /v1/status (`cluster.epoch`, `cluster.handoffComplete`). */
export interface NodeReport {
  id: string;
  epoch: number;
  handoffComplete: boolean;
}

/**
 * MemberStatus from today's nodes. A node reports only its own hand-off; a joiner has its share
 * once every member has sent it what it owns, that is once every member of the ring reports its
 * hand-off of the ring's epoch complete (the rule docs/cluster.md gives publishers).
 */
export function memberStatuses(
  ring: RingDocument | undefined,
  reports: readonly NodeReport[],
): MemberStatus[] {
  const epoch = ring?.epoch ?? 0;
  const byId = new Map(reports.map((r) => [r.id, r]));
  const settled =
    ring !== undefined &&
    ring.members.every((m) => byId.get(m.id)?.epoch === epoch && byId.get(m.id)?.handoffComplete === true);
  return reports.map((r) => ({
    id: r.id,
    ringEpoch: r.epoch,
    handoffComplete: r.handoffComplete,
    shareReady: settled && r.epoch === epoch,
  }));
}
