/**
 * handOff's decisions with a fake transport (the real one is exercised by test/cluster): who
 * gets what, and that a batch a new owner did not take becomes hints holding the values as
 * they were sent, even after the store changed the bytes they were read from.
 */
import { handOff, newProgress, type HandoffDeps } from '../../src/cluster/handoff.js';
import { placementOf } from '../../src/cluster/placement.js';
import { Replica, type ReplicaEntry } from '../../src/cluster/replica.js';
import type { Peers } from '../../src/cluster/peers.js';
import { EncodedEntries } from '../../src/cluster/stream-entries.js';
import { Store } from '../../src/store/index.js';
import { ownersForWrite, type RingDocument, type RingMember } from '../../src/ring/index.js';

function placement(epoch: number, members: Array<[string, RingMember['state']]>) {
  return placementOf({
    epoch,
    replicationFactor: 2,
    members: members.map(([id, state]) => ({ id, address: `${id}:8080`, state })),
  } as RingDocument);
}

const KEYS = 300;

function setUp(apply: (to: string, batch: EncodedEntries) => Promise<string>) {
  const store = new Store({ maxMemory: 1 << 24 });
  const replica = new Replica(store, 60_000);
  for (let i = 0; i < KEYS; i++) store.set(`key-${i}`, Buffer.from(`value-${i}`));
  const hints: Array<[string, ReplicaEntry]> = [];
  const sent = { entries: 0, bytes: 0 };
  const deps: HandoffDeps = {
    selfId: 'a',
    replica,
    peers: { apply: (address: string, batch: EncodedEntries) => apply(address, batch) } as unknown as Peers,
    address: (id) => id,
    stillCurrent: () => true,
    hint: (id, entry) => hints.push([id, entry]),
    receipt: () => {},
    sent: (entries, bytes) => {
      sent.entries += entries;
      sent.bytes += bytes;
    },
    now: () => 0,
  };
  return { store, deps, hints, sent };
}

const before = placement(1, [
  ['a', 'active'],
  ['b', 'active'],
]);
const after = placement(2, [
  ['a', 'active'],
  ['b', 'active'],
  ['c', 'joining'],
]);
const newToC = Array.from({ length: KEYS }, (_, i) => `key-${i}`).filter((key) =>
  ownersForWrite(after.ring, key).includes('c'),
);

test('each key goes once to each owner it did not have before, with its value', async () => {
  const received = new Map<string, string[]>();
  const { deps, sent } = setUp(async (to, batch) => {
    for (const e of batch.entries()) {
      received.set(to, [...(received.get(to) ?? []), `${e.key}=${Buffer.from(e.value).toString()}`]);
    }
    return 'incarnation';
  });
  const progress = newProgress(2, 0);
  expect(await handOff(deps, before, after, progress)).toBe(true);
  // Each batch taken is counted as it goes (the node's cumulative metrics), as in the progress.
  expect(sent).toEqual({ entries: progress.entriesSent, bytes: progress.bytesSent });
  expect(newToC.length).toBeGreaterThan(0);
  expect([...received.keys()]).toEqual(['c']);
  expect(received.get('c')?.sort()).toEqual(newToC.map((key) => `${key}=value-${key.slice(4)}`).sort());
  expect(progress).toMatchObject({
    keysTotal: KEYS,
    keysScanned: KEYS,
    entriesSent: newToC.length,
    entriesHinted: 0,
  });
});

test('a batch the new owner refuses becomes hints that keep the values sent, whatever the store does next', async () => {
  const { store, deps, hints } = setUp(async () => {
    // The store reuses the bytes the entries were read from before the answer comes back.
    for (let i = 0; i < KEYS; i++) store.set(`key-${i}`, Buffer.from(`other-${i}`));
    throw new Error('c is down');
  });
  const progress = newProgress(2, 0);
  expect(await handOff(deps, before, after, progress)).toBe(true);
  expect(hints.map(([id, e]) => `${id}:${e.key}=${Buffer.from(e.value).toString()}`).sort()).toEqual(
    newToC.map((key) => `c:${key}=value-${key.slice(4)}`).sort(),
  );
  expect(progress).toMatchObject({ entriesSent: 0, entriesHinted: newToC.length });
});
