import { placementOf } from '../../src/cluster/placement.js';
import { needsShareRecovery, ShareRecovery, type ShareAnswer } from '../../src/cluster/share-recovery.js';
import type { Logger } from '../../src/log.js';
import type { RingDocument, RingMember } from '../../src/ring/index.js';

const quiet: Logger = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

function ring(epoch: number, members: Array<[string, RingMember['state']]>) {
  const document: RingDocument = {
    epoch,
    replicationFactor: 2,
    members: members.map(([id, state]) => ({ id, address: `${id}:8080`, state })),
  } as RingDocument;
  return placementOf(document);
}

describe('needsShareRecovery', () => {
  const three = ring(1, [
    ['a', 'active'],
    ['b', 'active'],
    ['c', 'joining'],
  ]);

  test('the first ring naming this node as an active or joining member among others starts a pull', () => {
    expect(needsShareRecovery(undefined, three, 'a')).toBe(true);
    expect(needsShareRecovery(undefined, three, 'c')).toBe(true);
  });

  test('no pull on a later ring (hand-offs push what changed), when not a member, alone, or leaving', () => {
    expect(needsShareRecovery(three, three, 'a')).toBe(false);
    expect(needsShareRecovery(undefined, three, 'z')).toBe(false);
    expect(needsShareRecovery(undefined, ring(1, [['a', 'active']]), 'a')).toBe(false);
    expect(
      needsShareRecovery(
        undefined,
        ring(2, [
          ['a', 'leaving'],
          ['b', 'active'],
        ]),
        'a',
      ),
    ).toBe(false);
  });
});

describe('ShareRecovery', () => {
  test('asks every other member until each answered for the ring held, following newer rings', async () => {
    let placement = ring(1, [
      ['a', 'active'],
      ['b', 'active'],
      ['c', 'active'],
    ]);
    const asked: string[] = [];
    const answers: Record<string, ShareAnswer[]> = {
      'b:8080': [
        { kind: 'other-epoch', epoch: 2 },
        { kind: 'sent', entries: 5, bytes: 50 },
      ],
      'c:8080': [],
    };
    let rounds = 0;
    const recovery = new ShareRecovery({
      selfId: 'a',
      incarnation: 'i1',
      placement: () => placement,
      request: async (address, epoch, incarnation) => {
        asked.push(`${address}@${epoch}/${incarnation}`);
        const next = answers[address].shift();
        if (next === undefined) throw new Error('connection refused');
        return next;
      },
      logger: quiet,
      now: () => 0,
      pause: async () => {
        rounds++;
        // c leaves the ring after the first round: it is no longer asked.
        placement = ring(2, [
          ['a', 'active'],
          ['b', 'active'],
        ]);
      },
    });
    const done = recovery.start(placement);
    expect(recovery.pulling).toBe(true);
    expect(recovery.status.pending).toEqual(['b', 'c']);
    await done;
    expect(asked).toEqual(['b:8080@1/i1', 'c:8080@1/i1', 'b:8080@2/i1']);
    expect(rounds).toBe(1);
    expect(recovery.status).toMatchObject({
      state: 'done',
      epoch: 2,
      pending: [],
      entriesReceived: 5,
      bytesReceived: 50,
    });
    expect(recovery.pulling).toBe(false);
  });

  test('a covered answer counts as done with nothing received', async () => {
    const placement = ring(1, [
      ['a', 'joining'],
      ['b', 'active'],
    ]);
    const recovery = new ShareRecovery({
      selfId: 'a',
      incarnation: 'i1',
      placement: () => placement,
      request: async () => ({ kind: 'covered' }),
      logger: quiet,
      now: () => 0,
    });
    await recovery.start(placement);
    expect(recovery.status).toMatchObject({ state: 'done', pending: [], entriesReceived: 0 });
  });
});
