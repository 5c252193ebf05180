import { nextScalingAction } from '../src/scaling.js';
import { isReady, newestAhead, podEndpoint, ringFromConfigMap, secretValue } from '../src/runtime/observe.js';
import { buildEvent } from '../src/runtime/events.js';

const pod = (over: Record<string, unknown> = {}) => ({
  metadata: { name: 'demo-0' },
  spec: { containers: [{ ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: '10.1.2.3', conditions: [{ type: 'Ready', status: 'True' }] },
  ...over,
});

test('isReady: Running, Ready and not being deleted', () => {
  expect(isReady(pod())).toBe(true);
  expect(isReady(pod({ metadata: { name: 'demo-0', deletionTimestamp: '2026-01-01T00:00:00Z' } }))).toBe(
    false,
  );
  expect(isReady(pod({ status: { phase: 'Pending' } }))).toBe(false);
  expect(
    isReady(pod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } })),
  ).toBe(false);
});

test('podEndpoint: pod IP and the container port named http', () => {
  expect(podEndpoint(pod())).toBe('10.1.2.3:8080');
  expect(podEndpoint(pod({ status: { podIP: 'fd00::7' } }))).toBe('[fd00::7]:8080');
  expect(podEndpoint(pod({ status: {} }))).toBeUndefined();
});

test('ringFromConfigMap parses with the node parser; secretValue decodes', () => {
  const document = {
    epoch: 3,
    replicationFactor: 1,
    members: [{ id: 'demo-0', address: 'demo-0.x.ns.svc:8080', state: 'active' }],
  };
  expect(ringFromConfigMap({ data: { 'ring.json': JSON.stringify(document) } })).toEqual(document);
  expect(ringFromConfigMap(undefined)).toBeUndefined();
  expect(() => ringFromConfigMap({ data: { 'ring.json': '{"epoch":-1}' } })).toThrow(
    'epoch must be a non-negative integer, got -1',
  );
  expect(secretValue({ data: { token: Buffer.from('abc\n').toString('base64') } }, 'token')).toBe('abc');
  expect(secretValue({ data: {} }, 'token')).toBeUndefined();
});

test("addressOf decides joiners' ring addresses (--member-address=pod-ip)", () => {
  const action = nextScalingAction({
    cluster: 'demo',
    namespace: 'ns',
    desiredReplicas: 2,
    replicationFactor: 1,
    statefulSetReplicas: 2,
    readyPods: ['demo-0', 'demo-1'],
    ring: undefined,
    memberStatus: [],
    addressOf: (ordinal) => `127.0.0.${ordinal + 10}:8080`,
  });
  expect(action).toMatchObject({
    kind: 'publish-ring',
    document: {
      members: [
        { id: 'demo-0', address: '127.0.0.10:8080', state: 'joining' },
        { id: 'demo-1', address: '127.0.0.11:8080', state: 'joining' },
      ],
    },
  });
});

test('buildEvent: a core/v1 Event on the CacheCluster, message cut at 1 KiB', () => {
  const event = buildEvent(
    { name: 'demo', namespace: 'ns', uid: 'u-1' },
    'Normal',
    'RingPublished',
    'x'.repeat(2000),
    'op-1',
    new Date('2026-01-01T00:00:00.000Z'),
    'abc',
  );
  expect(event).toMatchObject({
    metadata: { name: 'demo.abc', namespace: 'ns' },
    involvedObject: {
      apiVersion: 'ringcache.io/v1alpha1',
      kind: 'CacheCluster',
      name: 'demo',
      namespace: 'ns',
      uid: 'u-1',
    },
    type: 'Normal',
    reason: 'RingPublished',
    source: { component: 'ringcache-operator' },
    reportingInstance: 'op-1',
    firstTimestamp: '2026-01-01T00:00:00.000Z',
  });
  expect((event.message as string).length).toBe(1024);
});

test('newestAhead: the report with the newest epoch above the record, if any', () => {
  const ring = { epoch: 5, replicationFactor: 1, members: [] };
  const r = (id: string, epoch: number) => ({ id, epoch, handoffComplete: true });
  expect(newestAhead(ring, [r('a', 5), r('b', 4)])).toBeUndefined();
  expect(newestAhead(ring, [r('a', 6), r('b', 7), r('c', 7)])).toEqual(r('b', 7));
  expect(newestAhead(undefined, [r('a', 0), r('b', 2)])).toEqual(r('b', 2));
  expect(newestAhead(undefined, [r('a', 0)])).toBeUndefined();
});
