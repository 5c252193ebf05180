import { CONNECT_GIVE_UP_MS, lookupFailure, lookUpRing } from '../../src/cluster/ring-source.js';
import type { RingDocument } from '../../src/ring/index.js';

const ring = (ids: string[]) => ({
  epoch: 4,
  replicationFactor: 2,
  members: ids.map((id) => ({ id, address: `${id}:8080`, state: 'active' })),
  publisher: { holder: 'op', leaseTransitions: 1 },
});

test('refused, unknown names and a source without a ring end the lookup; anything else is retried', () => {
  expect(lookupFailure('demo:8080: connect ECONNREFUSED 10.0.0.1:8080')).toBe('unreachable');
  expect(lookupFailure('demo:8080: getaddrinfo ENOTFOUND demo')).toBe('unreachable');
  expect(lookupFailure('demo:8080: ring answered 404')).toBe('no ring');
  expect(lookupFailure('demo:8080: no answer within 1000 ms')).toBe('retry');
  expect(lookupFailure('demo:8080: ring answered 503')).toBe('retry');
  expect(lookupFailure('demo:8080: getaddrinfo EAI_AGAIN demo')).toBe('retry');
  expect(lookupFailure('demo:8080: could not connect within 1000 ms')).toBe('no connection');
});

test('installs the ring only when it names this node, retrying until the deadline', async () => {
  let now = 0;
  const installed: RingDocument[] = [];
  const failures = [new Error('x: no answer within 1000 ms'), new Error('x: ring answered 503')];
  const deps = {
    selfId: 'b',
    fetchRing: async () => {
      const failure = failures.shift();
      if (failure) throw failure;
      return ring(['a', 'b']);
    },
    install: (d: RingDocument) => void installed.push(d),
    deadlineMs: 10_000,
    now: () => now,
    pause: async (ms: number) => void (now += ms),
  };
  expect(await lookUpRing('x:1', deps)).toBe('installed');
  expect(installed.map((d) => d.epoch)).toEqual([4]);
  expect(now).toBe(600); // 200 then 400 ms between attempts

  expect(await lookUpRing('x:1', { ...deps, selfId: 'z' })).toBe('not a member');
  expect(installed).toHaveLength(1);

  const hanging = {
    ...deps,
    fetchRing: () => Promise.reject(new Error('x: no answer within 1000 ms')),
  };
  now = 0;
  expect(await lookUpRing('x:1', hanging)).toBe('unreachable');
  expect(now).toBeLessThanOrEqual(10_000);
  expect(now).toBeGreaterThan(5_000);
});

test('attempts that never connect end the lookup after CONNECT_GIVE_UP_MS, unless one got further', async () => {
  let now = 0;
  const deps = {
    selfId: 'b',
    install: () => undefined,
    deadlineMs: 30_000,
    now: () => now,
    pause: async (ms: number) => void (now += ms),
  };
  const dropping = {
    ...deps,
    fetchRing: () => Promise.reject(new Error('x: could not connect within 1000 ms')),
  };
  expect(await lookUpRing('x:1', dropping)).toBe('unreachable');
  expect(now).toBeGreaterThanOrEqual(CONNECT_GIVE_UP_MS);
  expect(now).toBeLessThan(CONNECT_GIVE_UP_MS + 2_000);

  // A member answered 503 once: someone is there, so the lookup keeps its whole deadline.
  now = 0;
  let calls = 0;
  const busy = {
    ...deps,
    fetchRing: () =>
      Promise.reject(
        new Error(calls++ === 0 ? 'x: ring answered 503' : 'x: could not connect within 1000 ms'),
      ),
  };
  expect(await lookUpRing('x:1', busy)).toBe('unreachable');
  expect(now).toBeGreaterThan(20_000);
});
