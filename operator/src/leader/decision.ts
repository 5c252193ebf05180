/**
 * Leader election over a coordination.k8s.io/v1 Lease, the decision half: given the Lease as read
 * (or its absence), when this candidate first saw that record, the clock and its identity, what
 * to do. Pure; leader/elector.ts does the I/O.
 *
 * As in client-go, expiry is judged by the local time at which the candidate first observed the
 * current record, not by the renewTime written in it: clocks of different machines may disagree,
 * and a record that has not changed for a whole lease duration on our own clock has expired.
 */

/** The fields of a Lease's spec that election uses (MicroTime values are RFC 3339 strings). */
export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface LeaseInput {
  /** The Lease's spec, or undefined when the Lease does not exist. */
  lease: LeaseSpec | undefined;
  /** Local ms time when this record (holder + renewTime) was first seen unchanged. */
  observedAt: number;
  now: number;
  identity: string;
  leaseDurationSeconds: number;
  /** Whether this candidate believes it leads (it renewed successfully and did not lose since). */
  leading: boolean;
}

export type LeaseDecision =
  /** Create the Lease, or take it over (expired or released): the spec to write. */
  | { kind: 'acquire'; spec: LeaseSpec; create: boolean }
  /** We hold it: write the renewed spec. */
  | { kind: 'renew'; spec: LeaseSpec }
  /** Someone else holds a live Lease: try again at `retryAt` at the earliest. */
  | { kind: 'wait'; holder: string; expiresAt: number }
  /** We thought we led, but the Lease names another holder: stop at once. */
  | { kind: 'lost'; holder: string };

/** Lease times are MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function decideLease(input: LeaseInput): LeaseDecision {
  const { lease, now, identity, leaseDurationSeconds } = input;
  const stamp = microTime(now);
  if (lease === undefined) {
    return {
      kind: 'acquire',
      create: true,
      spec: {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: stamp,
        renewTime: stamp,
        leaseTransitions: 0,
      },
    };
  }
  const holder = lease.holderIdentity ?? '';
  const transitions = lease.leaseTransitions ?? 0;
  if (holder === identity) {
    return {
      kind: 'renew',
      spec: { ...lease, leaseDurationSeconds, renewTime: stamp, leaseTransitions: transitions },
    };
  }
  if (input.leading && holder !== '') return { kind: 'lost', holder };
  // The holder's own duration counts: it promised to renew within it.
  const duration = (lease.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
  const expiresAt = input.observedAt + duration;
  if (holder !== '' && now < expiresAt) return { kind: 'wait', holder, expiresAt };
  return {
    kind: 'acquire',
    create: false,
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: stamp,
      renewTime: stamp,
      // A new holder: the count of hand-overs goes into every ring document's publisher.
      leaseTransitions: transitions + 1,
    },
  };
}

/**
 * Whether a leader must stop: its last successful renewal is older than the renew deadline.
 * The deadline is shorter than the lease duration, so it stops before anyone may take over.
 */
export function renewDeadlinePassed(lastRenewAt: number, now: number, renewDeadlineMs: number): boolean {
  return now - lastRenewAt >= renewDeadlineMs;
}

/** The record identity used to tell whether the Lease changed since it was last observed. */
export function recordKey(lease: LeaseSpec | undefined): string {
  if (lease === undefined) return '';
  return `${lease.holderIdentity ?? ''}\0${lease.renewTime ?? ''}\0${lease.leaseTransitions ?? 0}`;
}

/** The spec written on release: no holder, so the next candidate takes over at once. */
export function releasedSpec(lease: LeaseSpec, now: number): LeaseSpec {
  return { ...lease, holderIdentity: null, renewTime: microTime(now), leaseDurationSeconds: 1 };
}
