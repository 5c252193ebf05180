import { admitRing, type RingDocument } from '../../node/src/ring/document.js';
import { microTime } from '../src/leader/decision.js';
import {
  isDeposedBy,
  raiseTransitions,
  restamped,
  transitionsNeeded,
  type Publisher,
} from '../src/leader/publisher.js';
import { pushOutcome } from '../src/runtime/nodes.js';

const by = (holder: string, leaseTransitions: number): Publisher => ({ holder, leaseTransitions });
const ring = (epoch: number, publisher?: Publisher): RingDocument => ({
  epoch,
  replicationFactor: 1,
  members: [{ id: 'demo-0', address: 'demo-0.demo-nodes.ns.svc:8080', state: 'active' }],
  ...(publisher ? { publisher } : {}),
});

test('isDeposedBy answers as the nodes do (admitRing), for any higher epoch', () => {
  for (const heldHolder of ['a', 'b'])
    for (const heldT of [0, 1, 2])
      for (const ourT of [0, 1, 2, 3]) {
        const admission = admitRing(ring(5, by(heldHolder, heldT)), ring(6, by('a', ourT)));
        const deposed = !admission.install && admission.code === 'DEPOSED_PUBLISHER';
        expect([heldHolder, heldT, ourT, isDeposedBy(by('a', ourT), by(heldHolder, heldT))]).toEqual([
          heldHolder,
          heldT,
          ourT,
          deposed,
        ]);
      }
});

test('transitionsNeeded: one past the highest publisher that deposes us, else undefined', () => {
  // A Lease created afresh (0) under a new holder, the record by the old one at 0 or 4.
  expect(transitionsNeeded(by('new', 0), [by('old', 0)])).toBe(1);
  expect(transitionsNeeded(by('new', 0), [by('old', 4), undefined, by('older', 2)])).toBe(5);
  // Our own earlier term: the same holder at a higher count still deposes a Lease reset to 0.
  expect(transitionsNeeded(by('me', 0), [by('me', 3)])).toBe(4);
  // Nothing to do: an ordinary hand-over (more transitions), our own ring, no record.
  expect(transitionsNeeded(by('new', 5), [by('old', 4)])).toBeUndefined();
  expect(transitionsNeeded(by('me', 4), [by('me', 4)])).toBeUndefined();
  expect(transitionsNeeded(by('me', 0), [undefined])).toBeUndefined();
  expect(transitionsNeeded(by('me', 0), [])).toBeUndefined();
});

describe('raiseTransitions', () => {
  const lease = {
    holderIdentity: 'me',
    leaseDurationSeconds: 15,
    acquireTime: microTime(0),
    renewTime: microTime(1000),
    leaseTransitions: 0,
  };

  test('our Lease below the count: the same spec with the count raised', () => {
    expect(raiseTransitions(lease, 'me', 3)).toEqual({
      kind: 'write',
      spec: { ...lease, leaseTransitions: 3 },
    });
    const { leaseTransitions: _, ...counted } = lease;
    expect(raiseTransitions(counted, 'me', 1)).toEqual({
      kind: 'write',
      spec: { ...counted, leaseTransitions: 1 },
    });
  });

  test('already there: nothing to write', () => {
    expect(raiseTransitions({ ...lease, leaseTransitions: 5 }, 'me', 3)).toEqual({
      kind: 'enough',
      leaseTransitions: 5,
    });
    expect(raiseTransitions({ ...lease, leaseTransitions: 3 }, 'me', 3)).toEqual({
      kind: 'enough',
      leaseTransitions: 3,
    });
  });

  test('not ours (another holder, released, gone): never written', () => {
    expect(raiseTransitions({ ...lease, holderIdentity: 'other' }, 'me', 3)).toEqual({
      kind: 'not-holder',
      holder: 'other',
    });
    expect(raiseTransitions({ ...lease, holderIdentity: null }, 'me', 3)).toEqual({
      kind: 'not-holder',
      holder: '',
    });
    expect(raiseTransitions(undefined, 'me', 3)).toEqual({ kind: 'not-holder', holder: '' });
  });
});

test('restamped: one epoch up under the new publisher, same members; nothing when already ours', () => {
  const recorded = ring(7, by('old', 2));
  const again = restamped(recorded, by('new', 3))!;
  expect(again).toEqual({ ...ring(8, by('new', 3)) });
  expect(admitRing(ring(6, by('old', 2)), again)).toEqual({ install: true });
  expect(recorded).toEqual(ring(7, by('old', 2)));
  expect(restamped(ring(7), by('new', 0))?.epoch).toBe(8);
  expect(restamped(ring(7, by('new', 3)), by('new', 3))).toBeUndefined();
});

test('pushOutcome: installed, STALE_RING (as good as installed), DEPOSED_PUBLISHER, failures', () => {
  const error = (code: string, message: string) => JSON.stringify({ error: { code, message } });
  expect(pushOutcome(200, '{}')).toEqual({ result: 'installed' });
  expect(pushOutcome(409, error('STALE_RING', 'epoch 3 is not newer than the installed 4'))).toEqual({
    result: 'newer',
    detail: 'epoch 3 is not newer than the installed 4',
  });
  const deposed = 'publisher b (lease transitions 0) was deposed by a (lease transitions 0)';
  expect(pushOutcome(409, error('DEPOSED_PUBLISHER', deposed))).toEqual({
    result: 'deposed',
    detail: deposed,
  });
  expect(pushOutcome(409, 'conflict')).toEqual({ result: 'newer', detail: 'conflict' });
  expect(pushOutcome(401, error('UNAUTHORIZED', 'no'))).toEqual({
    result: 'failed',
    detail: `401 ${error('UNAUTHORIZED', 'no')}`,
  });
});
