/**
 * The publisher a ring document carries (Lease holder, leaseTransitions) and the nodes' fence on
 * it (node/src/ring/document.ts admitRing): a node refuses a ring whose publisher has fewer
 * transitions than the one it holds, or as many under another holder. A Lease created afresh
 * (the operator re-installed, its namespace deleted, --lease-name changed) starts again at 0, so
 * its leader would be refused by every node for good. These decisions let a leader raise its
 * Lease past every publisher on record before it publishes. Pure; leader/elector.ts and
 * runtime/reconciler.ts do the I/O.
 */
import type { RingDocument } from '../../../node/src/ring/document.js';
import type { LeaseSpec } from './decision.js';

export type Publisher = NonNullable<RingDocument['publisher']>;

/** Whether a node holding a ring published by `held` refuses one published by `by` (any epoch). */
export function isDeposedBy(by: Publisher, held: Publisher): boolean {
  return (
    by.leaseTransitions < held.leaseTransitions ||
    (by.leaseTransitions === held.leaseTransitions && by.holder !== held.holder)
  );
}

/**
 * The leaseTransitions `ours` must reach for every node holding a ring by one of `held` to accept
 * our rings: one more than the highest publisher that deposes us. Undefined when none does.
 */
export function transitionsNeeded(
  ours: Publisher,
  held: ReadonlyArray<Publisher | undefined>,
): number | undefined {
  let needed: number | undefined;
  for (const h of held) {
    if (h !== undefined && isDeposedBy(ours, h)) needed = Math.max(needed ?? 0, h.leaseTransitions + 1);
  }
  return needed;
}

export type RaiseDecision =
  /** Write this spec (with the resourceVersion read). */
  | { kind: 'write'; spec: LeaseSpec }
  /** The Lease already counts at least that many transitions. */
  | { kind: 'enough'; leaseTransitions: number }
  /** The Lease is gone or held by someone else: we do not lead, so we must not publish. */
  | { kind: 'not-holder'; holder: string };

/**
 * Raising our own Lease's leaseTransitions to `atLeast`. Only its holder may: a candidate that
 * lost the Lease meanwhile stops instead. Nothing else in the spec changes, so the renewal loop
 * and the other candidates see a Lease held as before (they only note a changed record).
 */
export function raiseTransitions(
  lease: LeaseSpec | undefined,
  identity: string,
  atLeast: number,
): RaiseDecision {
  const holder = lease?.holderIdentity ?? '';
  if (lease === undefined || holder !== identity) return { kind: 'not-holder', holder };
  const transitions = lease.leaseTransitions ?? 0;
  if (transitions >= atLeast) return { kind: 'enough', leaseTransitions: transitions };
  return { kind: 'write', spec: { ...lease, leaseTransitions: atLeast } };
}

/**
 * The recorded ring published again under `publisher`, one epoch higher, same members: what
 * nodes that refused the recorded document as deposed install instead, once the Lease was
 * raised past what they hold. Undefined when the record already carries `publisher` (publishing
 * it again could not change a node's answer).
 */
export function restamped(ring: RingDocument, publisher: Publisher): RingDocument | undefined {
  const by = ring.publisher;
  if (
    by !== undefined &&
    by.holder === publisher.holder &&
    by.leaseTransitions === publisher.leaseTransitions
  )
    return undefined;
  return {
    ...ring,
    epoch: ring.epoch + 1,
    members: ring.members.map((m) => ({ ...m })),
    publisher: { ...publisher },
  };
}
