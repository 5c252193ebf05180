import type { RingDocument } from '../../node/src/ring/document.js';
import {
  computeConditions,
  MAX_CONDITION_MESSAGE,
  shortened,
  type ObservedState,
} from '../src/conditions.js';
import type { Condition } from '../src/types.js';

const T1 = '2026-01-01T12:00:00Z';
const T2 = '2026-01-01T12:05:00Z';

const ring = (epoch: number, states: Array<'joining' | 'active' | 'leaving'>): RingDocument => ({
  epoch,
  replicationFactor: 2,
  members: states.map((state, i) => ({
    id: `demo-${i}`,
    address: `demo-${i}.demo-nodes.ns.svc:8080`,
    state,
  })),
});
const reports = (epoch: number, ids: string[], handoffComplete = true) =>
  new Map(ids.map((id) => [id, { epoch, handoffComplete }]));

const observed = (over: Partial<ObservedState>): ObservedState => ({
  generation: 4,
  desiredReplicas: 3,
  replicationFactor: 2,
  ring: undefined,
  readyPods: [],
  reports: new Map(),
  actions: [],
  ...over,
});

const summary = (conditions: Condition[]) =>
  conditions.map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`);

test('a settled ring: Available, not Progressing, not Degraded, converged', () => {
  const conditions = computeConditions(
    observed({
      ring: ring(7, ['active', 'active', 'active']),
      readyPods: ['demo-0', 'demo-1', 'demo-2'],
      reports: reports(7, ['demo-0', 'demo-1', 'demo-2']),
      actions: [{ kind: 'steady' }],
    }),
    [],
    T1,
  );
  expect(summary(conditions)).toEqual([
    'Available=True/RingServing: 3 ring member(s) serving at epoch 7',
    'Progressing=False/Steady: nothing to do',
    'Degraded=False/AsExpected: all ring members Ready',
    'RingConverged=True/Converged: every member runs epoch 7, hand-offs complete',
    'Ready=True/Ready: the ring serves every key, every member has its share, and nothing is under way',
  ]);
  for (const c of conditions) expect(c).toMatchObject({ observedGeneration: 4, lastTransitionTime: T1 });
});

test('no ring yet: not Available, Progressing with the wait reason', () => {
  const conditions = computeConditions(
    observed({
      actions: [
        { kind: 'grow-statefulset', replicas: 3 },
        { kind: 'wait', reason: 'waiting for demo-0 to become Ready' },
      ],
    }),
    [],
    T1,
  );
  expect(summary(conditions)).toEqual([
    'Available=False/NoRing: no ring published yet: waiting for Ready pods',
    'Progressing=True/Waiting: waiting for demo-0 to become Ready',
    'Degraded=False/AsExpected: all ring members Ready',
    'RingConverged=Unknown/NoRing: no ring published yet',
    'Ready=False/NoRing: Available is False: no ring published yet: waiting for Ready pods',
  ]);
});

test('a publication in flight and a member not Ready', () => {
  const document = ring(8, ['active', 'active', 'joining']);
  const conditions = computeConditions(
    observed({
      ring: document,
      readyPods: ['demo-0', 'demo-2'],
      reports: reports(8, ['demo-0', 'demo-2'], false),
      actions: [{ kind: 'publish-ring', document }],
    }),
    [],
    T1,
  );
  expect(summary(conditions)).toEqual([
    // RF 2 needs two serving members: demo-1 is not Ready and demo-2 only joins.
    'Available=False/TooFewMembersServing: 1 of the 2 ring member(s) needed are serving',
    'Progressing=True/RingPublished: ring epoch 8 published (demo-0:active, demo-1:active, demo-2:joining)',
    'Degraded=True/MembersNotReady: ring member(s) not Ready: demo-1',
    'RingConverged=False/HandoffPending: not yet at epoch 8 with the hand-off done: demo-0, demo-1, demo-2',
    'Ready=False/MembersNotReady: Degraded is True: ring member(s) not Ready: demo-1',
  ]);
});

test('an invalid spec and a failed pass are Degraded with their messages', () => {
  expect(summary(computeConditions(observed({ specError: 'invalid CacheCluster spec: x' }), [], T1))).toEqual(
    [
      'Available=Unknown/InvalidSpec: invalid CacheCluster spec: x',
      'Progressing=False/InvalidSpec: invalid CacheCluster spec: x',
      'Degraded=True/InvalidSpec: invalid CacheCluster spec: x',
      'RingConverged=Unknown/InvalidSpec: invalid CacheCluster spec: x',
      'Ready=False/InvalidSpec: Degraded is True: invalid CacheCluster spec: x',
    ],
  );
  const failed = computeConditions(observed({ reconcileError: 'PATCH ...: 500' }), [], T1);
  expect(summary(failed).slice(1, 3)).toEqual([
    'Progressing=Unknown/ReconcileError: PATCH ...: 500',
    'Degraded=True/ReconcileError: PATCH ...: 500',
  ]);
});

test('scaled to zero is not Available, by choice; its empty ring has converged', () => {
  const conditions = computeConditions(
    observed({ desiredReplicas: 0, ring: ring(9, []), actions: [{ kind: 'steady' }] }),
    [],
    T1,
  );
  expect(summary(conditions)).toEqual([
    'Available=False/ScaledToZero: spec.replicas is 0',
    'Progressing=False/Steady: nothing to do',
    'Degraded=False/AsExpected: all ring members Ready',
    'RingConverged=True/Converged: no members',
    'Ready=False/ScaledToZero: Available is False: spec.replicas is 0',
  ]);
});

test('lastTransitionTime moves only when the status changes', () => {
  const first = computeConditions(observed({ actions: [{ kind: 'wait', reason: 'a' }] }), [], T1);
  const second = computeConditions(
    observed({ generation: 5, actions: [{ kind: 'wait', reason: 'b' }] }),
    first,
    T2,
  );
  expect(second.map((c) => c.lastTransitionTime)).toEqual([T1, T1, T1, T1, T1]);
  expect(second.every((c) => c.observedGeneration === 5)).toBe(true);
  const third = computeConditions(observed({ actions: [{ kind: 'steady' }] }), second, T2);
  expect(third.find((c) => c.type === 'Progressing')).toMatchObject({
    status: 'False',
    lastTransitionTime: T2,
  });
});

test('a long message is cut to what the API accepts, saying how much was left out', () => {
  const long = `waiting for ${Array.from({ length: 5000 }, (_, i) => `demo-${i}`).join(', ')} to become Ready`;
  const cut = shortened(long);
  expect(cut.length).toBeLessThanOrEqual(MAX_CONDITION_MESSAGE);
  expect(cut.startsWith('waiting for demo-0, demo-1, ')).toBe(true);
  expect(cut).toMatch(/ \.\.\. \(\d+ more characters\)$/);
  expect(shortened('short')).toBe('short');
});

test('members refusing the ring as from a deposed publisher: Degraded, saying who and why', () => {
  const message = 'publisher b (lease transitions 0) was deposed by a (lease transitions 0)';
  const conditions = computeConditions(
    observed({
      ring: ring(8, ['active', 'active', 'joining']),
      readyPods: ['demo-0', 'demo-1', 'demo-2'],
      reports: new Map([
        ['demo-0', { epoch: 7, handoffComplete: true }],
        ['demo-1', { epoch: 7, handoffComplete: true }],
        ['demo-2', { epoch: 8, handoffComplete: true }],
      ]),
      actions: [{ kind: 'wait', reason: 'waiting for demo-0, demo-1 to finish the hand-off of epoch 8' }],
      deposed: { members: ['demo-0', 'demo-1'], message },
    }),
    [],
    T1,
  );
  const degraded = conditions.find((c) => c.type === 'Degraded')!;
  expect(degraded).toMatchObject({
    status: 'True',
    reason: 'PublisherDeposed',
    message: `ring epoch 8 refused by demo-0, demo-1 as from a deposed publisher: ${message}`,
  });
  expect(conditions.find((c) => c.type === 'Ready')).toMatchObject({
    status: 'False',
    reason: 'PublisherDeposed',
  });
});

test('pods that refuse the operator’s token: Degraded, naming them and the answer, even with every pod Ready', () => {
  const answer = 'GET /v1/status: 401 UNAUTHORIZED: the bearer token is not valid';
  const conditions = computeConditions(
    observed({
      ring: ring(3, ['active', 'active', 'active']),
      readyPods: ['demo-0', 'demo-1', 'demo-2'],
      reports: reports(3, ['demo-2']),
      actions: [{ kind: 'wait', reason: 'waiting for demo-0, demo-1 to finish the hand-off of epoch 3' }],
      refused: { members: ['demo-0', 'demo-1'], message: answer },
    }),
    [],
    T1,
  );
  expect(conditions.find((c) => c.type === 'Degraded')).toMatchObject({
    status: 'True',
    reason: 'CredentialRefused',
    message:
      `demo-0, demo-1 refused the operator's token (${answer}); nodes take the tokens of their Secret from ` +
      'its files within a minute of a change, so this lasting means their Secret differs',
  });
});
