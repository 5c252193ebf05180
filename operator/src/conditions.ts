/**
 * The CacheCluster's status conditions from what one reconcile pass observed. Pure: the same
 * observation gives the same conditions; lastTransitionTime moves only when a status changes.
 *
 * - Available: the ring serves: it has members in its current view (active or leaving) whose
 *   pods are Ready, as many as the replication factor (or every wanted replica, if fewer).
 * - Progressing: a change is under way (the StatefulSet resized, a ring published, or a wait on
 *   pods and hand-offs); False once the pass found nothing to do.
 * - Degraded: something needs a person: the spec is invalid, the pass failed, members refused
 *   the published ring as coming from a deposed publisher, pods refused the operator's token, or
 *   a ring member's pod is not Ready.
 * - RingConverged: every member of the published ring runs its epoch and has finished its
 *   hand-off.
 * - Ready: the summary that generic tools wait on (`kubectl wait --for=condition=Ready`,
 *   kstatus, Argo CD and Flux health checks): Available, converged, nothing under way, nothing
 *   wrong. When False it carries the reason of the first condition that holds it back.
 */
import type { RingDocument } from '../../node/src/ring/document.js';
import type { ScalingAction } from './scaling.js';
import type { Condition } from './types.js';

export const CONDITION_TYPES = ['Available', 'Progressing', 'Degraded', 'RingConverged', 'Ready'] as const;

export interface ObservedState {
  generation: number;
  /** resolveSpec's message when the spec is invalid: nothing else was done. */
  specError?: string;
  /** The pass failed with this message (after observing what is below, if anything). */
  reconcileError?: string;
  /** Members that refused the published ring with DEPOSED_PUBLISHER, and the first one's reason. */
  deposed?: { members: readonly string[]; message: string };
  /** Pods that refused the operator's token (401/403 on their status), and the first answer. */
  refused?: { members: readonly string[]; message: string };
  desiredReplicas: number;
  replicationFactor: number;
  ring: RingDocument | undefined;
  readyPods: readonly string[];
  /** Member id to the epoch it reports and whether its hand-off of that epoch is complete. */
  reports: ReadonlyMap<string, { epoch: number; handoffComplete: boolean }>;
  /** The actions the pass performed, the last being `wait` or `steady` when it got that far. */
  actions: readonly ScalingAction[];
}

type Fresh = Omit<Condition, 'lastTransitionTime'>;

export function computeConditions(
  observed: ObservedState,
  previous: readonly Condition[],
  now: string,
): Condition[] {
  const parts = observed.specError !== undefined ? invalidSpec(observed) : fromState(observed);
  const fresh = [...parts, readyOf(parts, observed.generation)];
  return fresh.map((c) => {
    const before = previous.find((p) => p.type === c.type);
    const lastTransitionTime = before && before.status === c.status ? before.lastTransitionTime : now;
    return { ...c, message: shortened(c.message), lastTransitionTime };
  });
}

/** Longest condition message kept; the API refuses a status with one over 32768 bytes. */
export const MAX_CONDITION_MESSAGE = 1024;

/** `message` cut to MAX_CONDITION_MESSAGE characters, saying how much was left out. */
export function shortened(message: string): string {
  if (message.length <= MAX_CONDITION_MESSAGE) return message;
  const suffix = ` ... (${message.length - (MAX_CONDITION_MESSAGE - 40)} more characters)`;
  return message.slice(0, MAX_CONDITION_MESSAGE - 40) + suffix;
}

/** The state each condition has when the cluster is ready, in the order they are consulted. */
const READY_WHEN: ReadonlyArray<[string, string]> = [
  ['Degraded', 'False'],
  ['Available', 'True'],
  ['RingConverged', 'True'],
  ['Progressing', 'False'],
];

function readyOf(parts: readonly Fresh[], generation: number): Fresh {
  for (const [type, wanted] of READY_WHEN) {
    const c = parts.find((p) => p.type === type);
    if (c !== undefined && c.status !== wanted) {
      return {
        type: 'Ready',
        status: 'False',
        observedGeneration: generation,
        reason: c.reason,
        message: `${type} is ${c.status}: ${c.message}`,
      };
    }
  }
  return {
    type: 'Ready',
    status: 'True',
    observedGeneration: generation,
    reason: 'Ready',
    message: 'the ring serves every key, every member has its share, and nothing is under way',
  };
}

function invalidSpec(o: ObservedState): Fresh[] {
  const g = o.generation;
  const message = o.specError!;
  return [
    { type: 'Available', status: 'Unknown', observedGeneration: g, reason: 'InvalidSpec', message },
    { type: 'Progressing', status: 'False', observedGeneration: g, reason: 'InvalidSpec', message },
    { type: 'Degraded', status: 'True', observedGeneration: g, reason: 'InvalidSpec', message },
    { type: 'RingConverged', status: 'Unknown', observedGeneration: g, reason: 'InvalidSpec', message },
  ];
}

function fromState(o: ObservedState): Fresh[] {
  const g = o.generation;
  const ready = new Set(o.readyPods);
  const members = o.ring?.members ?? [];
  const serving = members.filter((m) => m.state !== 'joining' && ready.has(m.id));
  const needed = Math.max(1, Math.min(o.replicationFactor, o.desiredReplicas));

  let available: Fresh;
  if (o.desiredReplicas === 0) {
    available = {
      type: 'Available',
      status: 'False',
      observedGeneration: g,
      reason: 'ScaledToZero',
      message: 'spec.replicas is 0',
    };
  } else if (serving.length >= needed) {
    available = {
      type: 'Available',
      status: 'True',
      observedGeneration: g,
      reason: 'RingServing',
      message: `${serving.length} ring member(s) serving at epoch ${o.ring!.epoch}`,
    };
  } else {
    available = {
      type: 'Available',
      status: 'False',
      observedGeneration: g,
      reason: members.length === 0 ? 'NoRing' : 'TooFewMembersServing',
      message:
        members.length === 0
          ? 'no ring published yet: waiting for Ready pods'
          : `${serving.length} of the ${needed} ring member(s) needed are serving`,
    };
  }

  const last = o.actions.at(-1);
  const changed = o.actions.filter((a) => a.kind !== 'wait' && a.kind !== 'steady');
  let progressing: Fresh;
  if (last?.kind === 'steady' && changed.length === 0) {
    progressing = {
      type: 'Progressing',
      status: 'False',
      observedGeneration: g,
      reason: 'Steady',
      message: 'nothing to do',
    };
  } else if (last?.kind === 'wait') {
    progressing = {
      type: 'Progressing',
      status: 'True',
      observedGeneration: g,
      reason: 'Waiting',
      message: last.reason,
    };
  } else if (changed.length > 0) {
    progressing = {
      type: 'Progressing',
      status: 'True',
      observedGeneration: g,
      reason: reasonOf(changed.at(-1)!),
      message: changed.map(describe).join('; '),
    };
  } else {
    progressing = {
      type: 'Progressing',
      status: 'Unknown',
      observedGeneration: g,
      reason: 'ReconcileError',
      message: o.reconcileError ?? 'the pass did not finish',
    };
  }

  const notReady = members.filter((m) => !ready.has(m.id)).map((m) => m.id);
  const degraded: Fresh = { type: 'Degraded', observedGeneration: g, ...degradation(o, notReady) };

  const epoch = o.ring?.epoch ?? 0;
  const behind = members.filter((m) => {
    const r = o.reports.get(m.id);
    return r === undefined || r.epoch !== epoch || !r.handoffComplete;
  });
  const converged: Fresh =
    o.ring === undefined
      ? {
          type: 'RingConverged',
          status: 'Unknown',
          observedGeneration: g,
          reason: 'NoRing',
          message: 'no ring published yet',
        }
      : behind.length === 0
        ? {
            type: 'RingConverged',
            status: 'True',
            observedGeneration: g,
            reason: 'Converged',
            message:
              members.length === 0 ? 'no members' : `every member runs epoch ${epoch}, hand-offs complete`,
          }
        : {
            type: 'RingConverged',
            status: 'False',
            observedGeneration: g,
            reason: 'HandoffPending',
            message: `not yet at epoch ${epoch} with the hand-off done: ${behind.map((m) => m.id).join(', ')}`,
          };
  return [available, progressing, degraded, converged];
}

function reasonOf(action: ScalingAction): string {
  switch (action.kind) {
    case 'grow-statefulset':
      return 'ScalingUp';
    case 'shrink-statefulset':
      return 'ScalingDown';
    default:
      return 'RingPublished';
  }
}

export function describe(action: ScalingAction): string {
  switch (action.kind) {
    case 'grow-statefulset':
      return `StatefulSet grown to ${action.replicas}`;
    case 'shrink-statefulset':
      return `StatefulSet shrunk to ${action.replicas}`;
    case 'publish-ring': {
      const members = action.document.members.map((m) => `${m.id}:${m.state}`).join(', ');
      return `ring epoch ${action.document.epoch} published (${members || 'no members'})`;
    }
    case 'wait':
      return action.reason;
    case 'steady':
      return 'steady';
  }
}

/** Degraded's status, reason and message: the first thing, in this order, that needs a person. */
function degradation(
  o: ObservedState,
  notReady: readonly string[],
): Pick<Condition, 'status' | 'reason' | 'message'> {
  const needsPerson = (reason: string, message: string) => ({ status: 'True' as const, reason, message });
  if (o.reconcileError !== undefined) return needsPerson('ReconcileError', o.reconcileError);
  if (o.deposed !== undefined && o.deposed.members.length > 0) {
    return needsPerson(
      'PublisherDeposed',
      `ring epoch ${o.ring?.epoch ?? 0} refused by ${o.deposed.members.join(', ')} as from a deposed publisher: ${o.deposed.message}`,
    );
  }
  if (o.refused !== undefined && o.refused.members.length > 0) {
    return needsPerson(
      'CredentialRefused',
      `${o.refused.members.join(', ')} refused the operator's token (${o.refused.message}); nodes take the ` +
        `tokens of their Secret from its files within a minute of a change, so this lasting means their Secret differs`,
    );
  }
  if (notReady.length > 0)
    return needsPerson('MembersNotReady', `ring member(s) not Ready: ${notReady.join(', ')}`);
  return { status: 'False', reason: 'AsExpected', message: 'all ring members Ready' };
}
