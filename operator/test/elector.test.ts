import { jest } from '@jest/globals';
import { createLogger } from '../../node/src/log.js';
import type { KubeAnswer, KubeClient, RequestSpec } from '../src/kube/client.js';
import { LeaderElector } from '../src/leader/elector.js';

/**
 * A Lease store with the API server's optimistic concurrency: a PUT whose resourceVersion is not
 * the stored one gets 409. `beforePut` lets a test write in between, as a concurrent renewal would.
 */
class FakeLeases {
  lease: { metadata: Record<string, unknown>; spec: Record<string, unknown> } | undefined;
  version = 0;
  beforePut: (() => void) | undefined;

  write(spec: Record<string, unknown>): void {
    this.version++;
    this.lease = { metadata: { name: 'op', namespace: 'ns', resourceVersion: String(this.version) }, spec };
  }

  async call(spec: RequestSpec): Promise<KubeAnswer> {
    const method = spec.method ?? 'GET';
    const answer = (status: number, body?: unknown): KubeAnswer => ({
      status,
      body,
      text: JSON.stringify(body ?? {}),
    });
    if (method === 'GET') return this.lease ? answer(200, structuredClone(this.lease)) : answer(404);
    const body = spec.body as { metadata: { resourceVersion?: string }; spec: Record<string, unknown> };
    if (method === 'POST') {
      if (this.lease) return answer(409);
      this.write(body.spec);
      return answer(201, this.lease);
    }
    const hook = this.beforePut;
    this.beforePut = undefined;
    hook?.();
    if (body.metadata.resourceVersion !== String(this.version)) return answer(409, { message: 'conflict' });
    this.write(body.spec);
    return answer(200, this.lease);
  }

  client(): KubeClient {
    const fake = {
      call: (spec: RequestSpec) => this.call(spec),
      expect: async (spec: RequestSpec) => this.call(spec),
      get: async (path: string) => (await this.call({ path })).body,
    };
    return fake as unknown as KubeClient;
  }
}

const options = {
  namespace: 'ns',
  name: 'op',
  identity: 'me',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  onStartedLeading: () => undefined,
  onStoppedLeading: () => undefined,
};

async function leader(leases: FakeLeases): Promise<LeaderElector> {
  const elector = new LeaderElector(
    leases.client(),
    options,
    createLogger('error', () => undefined),
  );
  await elector.round();
  expect(elector.isLeader()).toBe(true);
  return elector;
}

afterEach(() => jest.useRealTimers());

test('raiseTransitions: a Lease created afresh (0) is raised, and renewals keep the count', async () => {
  jest.useFakeTimers();
  const leases = new FakeLeases();
  const elector = await leader(leases);
  expect(elector.leadership()).toEqual({ holder: 'me', leaseTransitions: 0 });
  expect(await elector.raiseTransitions(3)).toEqual({ holder: 'me', leaseTransitions: 3 });
  expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'me', leaseTransitions: 3 });
  await elector.round();
  expect(leases.lease?.spec.leaseTransitions).toBe(3);
  expect(elector.leadership()).toEqual({ holder: 'me', leaseTransitions: 3 });
  // Already there: nothing written.
  const version = leases.version;
  expect(await elector.raiseTransitions(2)).toEqual({ holder: 'me', leaseTransitions: 3 });
  expect(leases.version).toBe(version);
});

test('raiseTransitions: a write in between (a renewal) makes it read again', async () => {
  jest.useFakeTimers();
  const leases = new FakeLeases();
  const elector = await leader(leases);
  leases.beforePut = () => leases.write({ ...leases.lease!.spec, renewTime: 'later' });
  expect(await elector.raiseTransitions(1)).toEqual({ holder: 'me', leaseTransitions: 1 });
  expect(leases.lease?.spec).toMatchObject({ renewTime: 'later', leaseTransitions: 1 });
});

test('raiseTransitions: never on a Lease another holder took', async () => {
  jest.useFakeTimers();
  const leases = new FakeLeases();
  const elector = await leader(leases);
  leases.write({ ...leases.lease!.spec, holderIdentity: 'other', leaseTransitions: 1 });
  expect(await elector.raiseTransitions(5)).toBeUndefined();
  expect(leases.lease?.spec).toMatchObject({ holderIdentity: 'other', leaseTransitions: 1 });
});
