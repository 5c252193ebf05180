import fc from 'fast-check';
import type { MemberState, RingDocument } from '../../node/src/ring/document.js';
import { memberAddress, memberId } from '../src/names.js';
import {
  memberStatuses,
  nextScalingAction,
  type MemberStatus,
  type ScalingAction,
  type ScalingInput,
} from '../src/scaling.js';
import { World } from './scaling-world.js';

const id = (o: number) => memberId('demo', o);
const member = (o: number, state: MemberState) => ({
  id: id(o),
  address: memberAddress('demo', 'default', o),
  state,
});
const ring = (epoch: number, members: [number, MemberState][], replicationFactor = 2): RingDocument => ({
  epoch,
  replicationFactor,
  members: members.map(([o, state]) => member(o, state)),
});
const ready = (...ordinals: number[]) => ordinals.map(id);
/** Every listed member reports the epoch with its hand-off done and its share in. */
const settled = (epoch: number, ...ordinals: number[]): MemberStatus[] =>
  ordinals.map((o) => ({ id: id(o), ringEpoch: epoch, handoffComplete: true, shareReady: true }));

function decide(over: Partial<ScalingInput>): ScalingAction {
  return nextScalingAction({
    cluster: 'demo',
    namespace: 'default',
    desiredReplicas: 3,
    replicationFactor: 2,
    statefulSetReplicas: 3,
    readyPods: [],
    ring: undefined,
    memberStatus: [],
    ...over,
  });
}

const published = (action: ScalingAction) => {
  if (action.kind !== 'publish-ring') throw new Error(`expected publish-ring, got ${JSON.stringify(action)}`);
  return { epoch: action.document.epoch, members: action.document.members.map((m) => [m.id, m.state]) };
};

describe('forming a new cluster', () => {
  test('grows the StatefulSet first', () => {
    expect(decide({ statefulSetReplicas: 0 })).toEqual({ kind: 'grow-statefulset', replicas: 3 });
  });

  test('waits for pods to be Ready', () => {
    // Only pods to wait for: the pod watch says when, no need to poll the nodes.
    expect(decide({})).toEqual({
      kind: 'wait',
      reason: 'waiting for demo-0, demo-1, demo-2 to become Ready',
      untilPodsReady: true,
    });
  });

  test('publishes the Ready pods as joining, at epoch 1', () => {
    const action = decide({ readyPods: ready(0, 1) });
    expect(action).toEqual({
      kind: 'publish-ring',
      document: { epoch: 1, replicationFactor: 2, members: [member(0, 'joining'), member(1, 'joining')] },
    });
  });

  test('freezes a forming ring: no pod joins it until it is active', () => {
    const forming = ring(1, [
      [0, 'joining'],
      [1, 'joining'],
    ]);
    expect(decide({ ring: forming, readyPods: ready(0, 1, 2) })).toEqual({
      kind: 'wait',
      reason:
        'waiting for demo-0, demo-1 to finish the hand-off of epoch 1; demo-0, demo-1 to receive their share; ' +
        'the ring to settle before demo-2 can join',
    });
    expect(
      published(decide({ ring: forming, readyPods: ready(0, 1, 2), memberStatus: settled(1, 0, 1) })),
    ).toEqual({
      epoch: 2,
      members: [
        [id(0), 'active'],
        [id(1), 'active'],
      ],
    });
  });

  test('a forming ring is not shrunk either: its joiners hold the only copies', () => {
    const forming = ring(1, [
      [0, 'joining'],
      [1, 'joining'],
      [2, 'joining'],
    ]);
    expect(decide({ ring: forming, desiredReplicas: 2, readyPods: ready(0, 1, 2) }).kind).toBe('wait');
    // Once active, the third member leaves the usual way.
    const active = decide({
      ring: forming,
      desiredReplicas: 2,
      readyPods: ready(0, 1, 2),
      memberStatus: settled(1, 0, 1, 2),
    });
    expect(published(active).members).toEqual([
      [id(0), 'active'],
      [id(1), 'active'],
      [id(2), 'active'],
    ]);
  });

  test('is steady once every desired member is active, the StatefulSet matches and the ring settled', () => {
    const steady = ring(2, [
      [0, 'active'],
      [1, 'active'],
      [2, 'active'],
    ]);
    expect(decide({ ring: steady, readyPods: ready(0, 1, 2), memberStatus: settled(2, 0, 1, 2) })).toEqual({
      kind: 'steady',
    });
    // Steady as far as scaling goes even when a member's pod is not Ready (it restarts in place).
    expect(decide({ ring: steady, readyPods: ready(0, 1), memberStatus: settled(2, 0, 1, 2) }).kind).toBe(
      'steady',
    );
  });
});

describe('scaling out', () => {
  const three = ring(4, [
    [0, 'active'],
    [1, 'active'],
    [2, 'active'],
  ]);

  test('grows the StatefulSet at once, even while a hand-off runs', () => {
    expect(decide({ ring: three, desiredReplicas: 5 })).toEqual({ kind: 'grow-statefulset', replicas: 5 });
  });

  test('adds Ready pods as joining', () => {
    const action = decide({
      ring: three,
      desiredReplicas: 5,
      statefulSetReplicas: 5,
      readyPods: ready(0, 1, 2, 4),
      memberStatus: settled(4, 0, 1, 2),
    });
    expect(published(action)).toEqual({
      epoch: 5,
      members: [
        [id(0), 'active'],
        [id(1), 'active'],
        [id(2), 'active'],
        [id(4), 'joining'],
      ],
    });
  });

  test('publishes nothing until every member finished the hand-off of the current epoch', () => {
    const input = {
      ring: three,
      desiredReplicas: 5,
      statefulSetReplicas: 5,
      readyPods: ready(0, 1, 2, 3, 4),
    };
    const behind: MemberStatus = { id: id(1), ringEpoch: 4, handoffComplete: false, shareReady: false };
    expect(decide({ ...input, memberStatus: [...settled(4, 0, 2), behind] })).toEqual({
      kind: 'wait',
      reason:
        'waiting for demo-1 to finish the hand-off of epoch 4; the ring to settle before demo-3, demo-4 can join',
    });
    // A report about an older ring counts for nothing.
    const stale: MemberStatus = { id: id(1), ringEpoch: 3, handoffComplete: true, shareReady: true };
    expect(decide({ ...input, memberStatus: [...settled(4, 0, 2), stale] }).kind).toBe('wait');
    // A member that does not answer holds it up too.
    expect(decide({ ...input, memberStatus: settled(4, 0, 2) }).kind).toBe('wait');
  });

  test('activates every joiner at once, when all have their share', () => {
    const joining = ring(5, [
      [0, 'active'],
      [1, 'active'],
      [2, 'active'],
      [3, 'joining'],
      [4, 'joining'],
    ]);
    const input = {
      ring: joining,
      desiredReplicas: 5,
      statefulSetReplicas: 5,
      readyPods: ready(0, 1, 2, 3, 4),
    };
    const noShare: MemberStatus = { id: id(4), ringEpoch: 5, handoffComplete: true, shareReady: false };
    expect(decide({ ...input, memberStatus: [...settled(5, 0, 1, 2, 3), noShare] })).toEqual({
      kind: 'wait',
      reason: 'waiting for demo-4 to receive their share',
    });
    expect(published(decide({ ...input, memberStatus: settled(5, 0, 1, 2, 3, 4) }))).toEqual({
      epoch: 6,
      members: [0, 1, 2, 3, 4].map((o) => [id(o), 'active']),
    });
  });
});

describe('scaling in', () => {
  const five = ring(6, [
    [0, 'active'],
    [1, 'active'],
    [2, 'active'],
    [3, 'active'],
    [4, 'active'],
  ]);
  const all = ready(0, 1, 2, 3, 4);

  test('marks the highest ordinals leaving and keeps their pods', () => {
    const input = { ring: five, desiredReplicas: 2, statefulSetReplicas: 5, readyPods: all };
    expect(published(decide({ ...input, memberStatus: settled(6, 0, 1, 2, 3, 4) }))).toEqual({
      epoch: 7,
      members: [
        [id(0), 'active'],
        [id(1), 'active'],
        [id(2), 'leaving'],
        [id(3), 'leaving'],
        [id(4), 'leaving'],
      ],
    });
  });

  const leaving = ring(7, [
    [0, 'active'],
    [1, 'active'],
    [2, 'leaving'],
    [3, 'leaving'],
    [4, 'leaving'],
  ]);

  test('waits for the hand-off before removing leavers, and never shrinks below them', () => {
    const action = decide({ ring: leaving, desiredReplicas: 2, statefulSetReplicas: 5, readyPods: all });
    expect(action).toEqual({
      kind: 'wait',
      reason: 'waiting for demo-0, demo-1, demo-2, demo-3, demo-4 to finish the hand-off of epoch 7',
    });
  });

  test('removes the leavers once every member handed off, then shrinks the StatefulSet', () => {
    const input = { ring: leaving, desiredReplicas: 2, statefulSetReplicas: 5, readyPods: all };
    expect(published(decide({ ...input, memberStatus: settled(7, 0, 1, 2, 3, 4) }))).toEqual({
      epoch: 8,
      members: [
        [id(0), 'active'],
        [id(1), 'active'],
      ],
    });
    const removed = ring(8, [
      [0, 'active'],
      [1, 'active'],
    ]);
    expect(decide({ ...input, ring: removed })).toEqual({ kind: 'shrink-statefulset', replicas: 2 });
  });

  test('shrinks early down to the highest ordinal still in the ring', () => {
    const oneLeft = ring(9, [
      [0, 'active'],
      [1, 'active'],
      [2, 'leaving'],
    ]);
    expect(decide({ ring: oneLeft, desiredReplicas: 2, statefulSetReplicas: 5, readyPods: all })).toEqual({
      kind: 'shrink-statefulset',
      replicas: 3,
    });
  });

  test('scaling back out cancels a leave: leaving members become active again', () => {
    const input = { ring: leaving, desiredReplicas: 4, statefulSetReplicas: 5, readyPods: all };
    expect(published(decide({ ...input, memberStatus: settled(7, 0, 1, 2, 3, 4) }))).toEqual({
      epoch: 8,
      members: [
        [id(0), 'active'],
        [id(1), 'active'],
        [id(2), 'active'],
        [id(3), 'active'],
        [id(4), 'leaving'],
      ],
    });
  });

  test('drops unwanted joiners without waiting for them', () => {
    const joining = ring(5, [
      [0, 'active'],
      [1, 'active'],
      [2, 'active'],
      [3, 'joining'],
    ]);
    // demo-3 is stuck (no report), and no longer wanted: the rest settled, so it goes.
    const input = { ring: joining, desiredReplicas: 3, statefulSetReplicas: 4, readyPods: ready(0, 1, 2) };
    expect(published(decide({ ...input, memberStatus: settled(5, 0, 1, 2) }))).toEqual({
      epoch: 6,
      members: [0, 1, 2].map((o) => [id(o), 'active']),
    });
    // Not while another member's hand-off is still running.
    expect(decide({ ...input, memberStatus: settled(5, 0, 1) }).kind).toBe('wait');
  });
});

describe('scaling to zero and back', () => {
  test('publishes an empty ring at once, shrinks to 0, then is steady', () => {
    const three = ring(4, [
      [0, 'active'],
      [1, 'joining'],
      [2, 'leaving'],
    ]);
    expect(published(decide({ ring: three, desiredReplicas: 0, replicationFactor: 2 }))).toEqual({
      epoch: 5,
      members: [],
    });
    const empty = ring(5, []);
    expect(decide({ ring: empty, desiredReplicas: 0 })).toEqual({ kind: 'shrink-statefulset', replicas: 0 });
    expect(decide({ ring: empty, desiredReplicas: 0, statefulSetReplicas: 0 })).toEqual({ kind: 'steady' });
  });

  test('from an empty ring, forms again at the next epoch', () => {
    const empty = ring(5, []);
    expect(decide({ ring: empty, statefulSetReplicas: 0 })).toEqual({
      kind: 'grow-statefulset',
      replicas: 3,
    });
    expect(published(decide({ ring: empty, readyPods: ready(0, 1, 2) }))).toEqual({
      epoch: 6,
      members: [0, 1, 2].map((o) => [id(o), 'joining']),
    });
  });
});

describe('other cases', () => {
  const steady = ring(3, [
    [0, 'active'],
    [1, 'active'],
    [2, 'active'],
  ]);

  test('a replicationFactor change is published alone, from a settled steady ring', () => {
    const action = decide({
      ring: steady,
      replicationFactor: 3,
      readyPods: ready(0, 1, 2),
      memberStatus: settled(3, 0, 1, 2),
    });
    expect(action).toEqual({ kind: 'publish-ring', document: { ...steady, epoch: 4, replicationFactor: 3 } });
    expect(decide({ ring: steady, replicationFactor: 3, readyPods: ready(0, 1, 2) }).kind).toBe('wait');
  });

  test('a transition keeps the ring replicationFactor', () => {
    const action = decide({
      ring: steady,
      replicationFactor: 3,
      desiredReplicas: 4,
      statefulSetReplicas: 4,
      readyPods: ready(0, 1, 2, 3),
      memberStatus: settled(3, 0, 1, 2),
    });
    expect(action.kind === 'publish-ring' && action.document.replicationFactor).toBe(2);
  });

  test('members that are not this cluster pods leave, and are removed once handed off', () => {
    const foreign = {
      ...steady,
      members: [...steady.members, { id: 'old-node', address: 'old:8080', state: 'active' as const }],
    };
    const input = { ring: foreign, readyPods: ready(0, 1, 2) };
    const status = [
      ...settled(3, 0, 1, 2),
      { id: 'old-node', ringEpoch: 3, handoffComplete: true, shareReady: true },
    ];
    const action = decide({ ...input, memberStatus: status });
    expect(published(action).members).toEqual([
      [id(0), 'active'],
      [id(1), 'active'],
      [id(2), 'active'],
      ['old-node', 'leaving'],
    ]);
  });

  test('never completes into an empty ring while replicas are wanted', () => {
    const onlyForeign: RingDocument = {
      epoch: 2,
      replicationFactor: 1,
      members: [{ id: 'old-node', address: 'old:8080', state: 'leaving' }],
    };
    const status = [{ id: 'old-node', ringEpoch: 2, handoffComplete: true, shareReady: true }];
    expect(
      decide({ ring: onlyForeign, desiredReplicas: 1, statefulSetReplicas: 1, memberStatus: status }),
    ).toEqual({
      kind: 'wait',
      reason: 'waiting for demo-0 to become Ready',
      untilPodsReady: true,
    });
  });

  test('stamps the publisher on published documents', () => {
    const publisher = { holder: 'ringcache-operator-abc', leaseTransitions: 2 };
    const action = decide({ readyPods: ready(0, 1, 2), publisher });
    expect(action.kind === 'publish-ring' && action.document.publisher).toEqual(publisher);
  });

  test('refuses impossible input', () => {
    expect(() => decide({ desiredReplicas: -1 })).toThrow(/desiredReplicas/);
    expect(() => decide({ statefulSetReplicas: 1.5 })).toThrow(/statefulSetReplicas/);
    expect(() => decide({ replicationFactor: 0 })).toThrow(/replicationFactor/);
  });
});

describe('memberStatuses from node reports', () => {
  const joining = ring(5, [
    [0, 'active'],
    [1, 'joining'],
  ]);

  test('a joiner has its share once every member handed off this epoch', () => {
    const reports = [
      { id: id(0), epoch: 5, handoffComplete: true },
      { id: id(1), epoch: 5, handoffComplete: true },
    ];
    expect(memberStatuses(joining, reports)).toEqual([
      { id: id(0), ringEpoch: 5, handoffComplete: true, shareReady: true },
      { id: id(1), ringEpoch: 5, handoffComplete: true, shareReady: true },
    ]);
  });

  test('one member behind, or silent, and no one has a share yet', () => {
    const behind = [
      { id: id(0), epoch: 5, handoffComplete: false },
      { id: id(1), epoch: 5, handoffComplete: true },
    ];
    expect(memberStatuses(joining, behind).map((s) => s.shareReady)).toEqual([false, false]);
    expect(memberStatuses(joining, [{ id: id(1), epoch: 5, handoffComplete: true }])[0].shareReady).toBe(
      false,
    );
    expect(memberStatuses(undefined, [{ id: id(1), epoch: 0, handoffComplete: false }])[0].shareReady).toBe(
      false,
    );
  });

  test('a pod outside the ring does not hold it up', () => {
    const reports = [
      { id: id(0), epoch: 5, handoffComplete: true },
      { id: id(1), epoch: 5, handoffComplete: true },
      { id: id(2), epoch: 0, handoffComplete: false },
    ];
    expect(memberStatuses(joining, reports).map((s) => s.shareReady)).toEqual([true, true, false]);
  });
});

describe('simulated cluster', () => {
  test('3 -> 5 -> 2: the StatefulSet never drops a ring member, epochs only grow, no write is lost', () => {
    const world = new World({ replicationFactor: 2, seed: 7 });
    for (const desired of [3, 5, 2]) {
      world.desired = desired;
      world.runUntilSteady();
      world.expectConverged();
    }
    world.expectEpochsGrow();
    // The StatefulSet replicas it went through, in order: up first, down only at the end.
    const sizes = world.actions.flatMap((a) =>
      a.kind.endsWith('statefulset') ? [(a as { replicas: number }).replicas] : [],
    );
    expect(sizes[0]).toBe(3);
    expect(sizes).toContain(5);
    expect(sizes[sizes.length - 1]).toBe(2);
    // Every state of the ring on the way, e.g. 3..4 joining then active; 2..4 leaving then gone.
    const states = world.published.map((d) =>
      d.members.map((m) => `${m.id.slice(5)}${m.state[0]}`).join(' '),
    );
    expect(states).toEqual(
      expect.arrayContaining(['0a 1a 2a 3j 4j', '0a 1a 2a 3a 4a', '0a 1a 2l 3l 4l', '0a 1a']),
    );
  });

  test('3 -> 0 -> 3', () => {
    const world = new World({ replicationFactor: 2, seed: 11 });
    for (const desired of [3, 0, 3]) {
      world.desired = desired;
      world.runUntilSteady();
      world.expectConverged();
    }
    world.expectEpochsGrow();
  });

  test('changes of mind mid-flight: 3 -> 5, then 2 before 5 is reached, then 4', () => {
    const world = new World({ replicationFactor: 2, seed: 3, maxReadyDelay: 4, maxHandoffDelay: 3 });
    world.desired = 3;
    world.runUntilSteady();
    for (const desired of [5, 2, 4]) {
      world.desired = desired;
      for (let i = 0; i < 3; i++) {
        world.reconcile();
        world.tick();
      }
    }
    world.runUntilSteady();
    world.expectConverged();
    world.expectEpochsGrow();
  });

  test('any sequence of desired sizes, any delays: safe, and converges to the last', () => {
    const plan = fc.record({
      replicationFactor: fc.integer({ min: 1, max: 3 }),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      maxReadyDelay: fc.integer({ min: 0, max: 4 }),
      maxHandoffDelay: fc.integer({ min: 0, max: 4 }),
      changes: fc.array(
        fc.record({ size: fc.integer({ min: 0, max: 6 }), ticks: fc.integer({ min: 0, max: 6 }) }),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
    });
    fc.assert(
      fc.property(plan, ({ changes, ...options }) => {
        const world = new World(options);
        for (const { size, ticks } of changes) {
          // The CRD only admits replicas 0 or at least replicationFactor.
          world.desired = size === 0 ? 0 : Math.max(size, options.replicationFactor);
          for (let i = 0; i < ticks; i++) {
            world.reconcile();
            world.tick();
          }
        }
        world.runUntilSteady();
        world.expectConverged();
        world.expectEpochsGrow();
      }),
      { numRuns: 150 },
    );
  });
});
