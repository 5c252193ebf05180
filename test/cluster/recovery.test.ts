/**
 * Share recovery (node/src/cluster/share-recovery.ts) on real processes at RF 1, where a node's
 * entries have no other copy: a joiner killed after the others streamed its share, and an
 * active member restarted, both pull their share back before they report their part of the
 * epoch done, so activating the joiner and dropping unowned copies loses nothing.
 */
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { startNodeProcess, waitFor } from '../support/node-process.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BATCH_CONTENT_TYPE, encodeFrames } from '../../node/src/http/batch-format.js';
import { heldBy } from '../support/cluster-writer.js';
import { buildRing, replicasOf } from '../../node/src/ring/index.js';

const KEYS = 400;
let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
});

interface Status {
  cluster: {
    epoch: number;
    handoffComplete: boolean;
    shareRecovery: { state: string; pending: string[]; entriesReceived: number };
  };
  store: { keys: number };
}

async function statusOf(id: string): Promise<Status> {
  return (await (cluster as LocalCluster).status(id)) as unknown as Status;
}

async function writeKeys(via: string): Promise<void> {
  for (let i = 0; i < KEYS; i++) {
    const response = await fetch(`${(cluster as LocalCluster).url(via)}/v1/keys/k-${i}`, {
      method: 'PUT',
      body: `value-${i}`,
    });
    expect(response.status).toBe(201);
  }
}

/** Every key read through `via` answers its value; returns the keys that did not. */
async function missingKeys(via: string): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const response = await fetch(`${(cluster as LocalCluster).url(via)}/v1/keys/k-${i}`);
    const text = await response.text();
    if (response.status !== 200 || text !== `value-${i}`) missing.push(`k-${i}: ${response.status}`);
  }
  return missing;
}

/** Keys held by each node; their sum is KEYS once no node keeps a copy it does not own. */
/** The node's count of share entries it streamed to restarted members (its metrics). */
async function shareSentBy(id: string): Promise<number> {
  const text = await (await fetch(`${(cluster as LocalCluster).url(id)}/metrics`)).text();
  return Number(/^ringcache_share_sent_entries_total (\d+)$/m.exec(text)?.[1]);
}

async function heldCounts(ids: string[]): Promise<number[]> {
  return Promise.all(ids.map(async (id) => (await statusOf(id)).store.keys));
}

function newCluster(): LocalCluster {
  // Unowned copies are dropped by the first anti-entropy round after the ring settles.
  return new LocalCluster({
    replicationFactor: 1,
    nodeArgs: ['--unowned-grace-ms', '1', '--anti-entropy-interval-ms', '300'],
  });
}

test('a joiner restarted after its share was streamed pulls it again; activating it loses nothing', async () => {
  cluster = newCluster();
  await cluster.start(2);
  const [first, second] = [...cluster.nodes.keys()];
  await writeKeys(first);

  // Join a third node and let the others stream its share, as the operator would.
  const joiner = (await cluster.spawnNode()).id;
  await cluster.publish([
    ...cluster.ring.members,
    { id: joiner, address: cluster.nodes.get(joiner)!.ringAddress, state: 'joining' },
  ]);
  await waitFor('the joiner to get its share', () => cluster!.handedOff(), 60_000);
  const share = (await statusOf(joiner)).store.keys;
  expect(share).toBeGreaterThan(0);
  // A normal join streams the share once: the joiner's own pull found it covered.
  expect((await statusOf(joiner)).cluster.shareRecovery).toMatchObject({ state: 'done', entriesReceived: 0 });

  // The joiner's pod dies and comes back empty before it is published active.
  await cluster.restart(joiner);
  await waitFor('the restarted joiner to report its part done', () => cluster!.handedOff(), 60_000);
  const recovered = await statusOf(joiner);
  expect(recovered.cluster.shareRecovery).toMatchObject({ state: 'done', pending: [] });
  expect(recovered.cluster.shareRecovery.entriesReceived).toBe(share);
  expect(recovered.store.keys).toBe(share);

  // Activate it; the old owners drop what they no longer own; every key is still there.
  await cluster.publish(cluster.ring.members.map((m) => (m.id === joiner ? { ...m, state: 'active' } : m)));
  const ids = [first, second, joiner];
  await waitFor(
    'unowned copies to be dropped',
    async () => (await heldCounts(ids)).reduce((a, b) => a + b) === KEYS,
    30_000,
  );
  expect(await missingKeys(first)).toEqual([]);
}, 120_000);

test('a restarted member is not ready until it has pulled its share back from the other owners', async () => {
  // RF 2 with anti-entropy off: only the pull can give the restarted node its copies back.
  cluster = new LocalCluster({ replicationFactor: 2, nodeArgs: ['--anti-entropy-interval-ms', '0'] });
  await cluster.start(3);
  // The first ring starts a pull on every member; let those finish before writing, so the
  // counters below hold only what the restart causes.
  await waitFor('the first ring to be handed off', () => cluster!.handedOff(), 60_000);
  const ids = [...cluster.nodes.keys()];
  await writeKeys(ids[0]);
  const before = await heldCounts(ids);
  expect(before.reduce((a, b) => a + b)).toBe(2 * KEYS);
  const sentBefore = await Promise.all(ids.slice(0, 2).map(shareSentBy));

  // Restart the last node empty while one of its peers hangs (SIGSTOP): the pull waits for it.
  const victim = ids[2];
  const hung = cluster.nodes.get(ids[0])!.child;
  hung.kill('SIGSTOP');
  try {
    await cluster.restart(victim);
    const url = cluster.url(victim);
    await waitFor('the restarted node to wait for the hung peer only', async () => {
      const readyz = await fetch(`${url}/readyz`);
      const body = (await readyz.json()) as { status: string; waitingFor?: string[] };
      return (
        readyz.status === 503 && body.status === 'recovering its share' && body.waitingFor?.join() === ids[0]
      );
    });
    const waiting = await statusOf(victim);
    expect(waiting.cluster.handoffComplete).toBe(false);
    expect(waiting.cluster.shareRecovery).toMatchObject({ state: 'pulling', pending: [ids[0]] });
  } finally {
    hung.kill('SIGCONT');
  }
  await waitFor(
    'the restarted node to be ready',
    async () => (await fetch(`${cluster!.url(victim)}/readyz`)).status === 200,
    30_000,
  );
  const after = await statusOf(victim);
  expect(after.cluster.handoffComplete).toBe(true);
  expect(after.store.keys).toBe(before[2]);
  expect(after.cluster.shareRecovery.entriesReceived).toBe(before[2]);
  const metrics = await (await fetch(`${cluster.url(victim)}/metrics`)).text();
  expect(metrics).toMatch(new RegExp(`^ringcache_share_recovery_received_entries ${before[2]}$`, 'm'));
  expect(metrics).toMatch(/^ringcache_share_recovery_pending_members 0$/m);
  // The owners that streamed it count what they sent.
  const sent = await Promise.all(ids.slice(0, 2).map(shareSentBy));
  expect(sent[0] - sentBefore[0] + (sent[1] - sentBefore[1])).toBe(before[2]);
  expect(await missingKeys(victim)).toEqual([]);
}, 120_000);

test('a member restarted empty whose first ring is a membership change pulls its whole share, not just what the change moved', async () => {
  // RF 2, anti-entropy off: only share recovery can give the restarted member its copies.
  cluster = new LocalCluster({ replicationFactor: 2, nodeArgs: ['--anti-entropy-interval-ms', '0'] });
  await cluster.start(4);
  await waitFor('the first ring to be handed off', () => cluster!.handedOff(), 60_000);
  const ids = [...cluster.nodes.keys()].sort();
  await writeKeys(ids[0]);
  const [restarted, leaving] = [ids[1], ids[3]];
  const port = cluster.nodes.get(restarted)!.port;
  await cluster.stopNode(restarted, 'SIGKILL');
  // Back on its port with no ring: its first ring is the one where `leaving` leaves, whose
  // hand-off sends it only the keys it gains from `leaving`.
  await cluster.spawnNode(restarted, port);
  await cluster.remove(leaving);
  await waitFor('every member to report its part done', () => cluster!.handedOff(), 60_000);

  const ring = buildRing(cluster.ring);
  const owned = Array.from({ length: KEYS }, (_, i) => `k-${i}`).filter((key) =>
    replicasOf(ring, key).all.includes(restarted),
  );
  const lacking: string[] = [];
  for (const key of owned) if ((await heldBy(cluster, restarted, key)) === undefined) lacking.push(key);
  expect({ owned: owned.length > 0, lacking }).toEqual({ owned: true, lacking: [] });
  // A rolling restart goes on: the other owners restart too, and nothing is lost.
  for (const id of ids.filter((id) => id !== restarted && id !== leaving)) {
    await cluster.restart(id);
    await waitFor(
      'the restarted member to be ready',
      async () => (await fetch(`${cluster!.url(id)}/readyz`)).status === 200,
      30_000,
    );
  }
  expect(await missingKeys(restarted)).toEqual([]);
}, 180_000);

test('a member restarted without its ring refuses what peers forward to it, and learns the ring from them', async () => {
  cluster = new LocalCluster({
    replicationFactor: 2,
    nodeArgs: ['--anti-entropy-interval-ms', '0', '--replica-timeout-ms', '400'],
  });
  await cluster.start(3);
  const ids = [...cluster.nodes.keys()].sort();
  const [restarted, other, via] = ids;
  const ring = buildRing(cluster.ring);
  const keys = Array.from({ length: 400 }, (_, i) => `rl-${i}`)
    .filter((key) => replicasOf(ring, key).all.join() === `${restarted},${other}`)
    .slice(0, 10);
  const url = (id: string, key: string) => `${cluster!.url(id)}/v1/keys/${key}`;
  for (const key of keys) {
    const written = await fetch(url(via, key), {
      method: 'PUT',
      body: 'v1',
      headers: { 'x-consistency': 'all' },
    });
    expect(written.status).toBe(201);
  }
  const port = cluster.nodes.get(restarted)!.port;
  await cluster.stopNode(restarted, 'SIGKILL');
  await cluster.spawnNode(restarted, port); // listening, empty, and no ring given to it

  // Through a node that owns none of them: the primary refuses (no ring), the other owner serves
  // (a HEAD too, although the refusal of a HEAD has no body to name NO_RING).
  for (const key of keys)
    expect([key, (await fetch(url(via, key), { method: 'HEAD' })).status]).toEqual([key, 200]);
  for (const key of keys) {
    const read = await fetch(url(via, key));
    expect([key, read.status, await read.text()]).toEqual([key, 200, 'v1']);
  }
  for (const key of keys) {
    const written = await fetch(url(via, key), { method: 'PUT', body: 'v2' });
    expect([key, written.status]).toEqual([key, 204]);
  }
  // The write was coordinated by a member with the ring, so the other owner has it.
  for (const key of keys)
    expect([key, (await heldBy(cluster, other, key))?.includes('v2')]).toEqual([key, true]);
  await waitFor('the restarted member to learn the ring from a forward', async () => {
    return (await statusOf(restarted)).cluster.epoch === cluster!.ring.epoch;
  });
  // Its share comes back, and every key reads v2 through it.
  await waitFor(
    'its share to be back',
    async () => (await fetch(`${cluster!.url(restarted)}/readyz`)).status === 200,
    30_000,
  );
  for (const key of keys) {
    const read = await fetch(url(restarted, key));
    expect([key, read.status, await read.text()]).toEqual([key, 200, 'v2']);
  }
}, 120_000);

test('a member restarted with --ring-source takes the ring from a running member and its share, with no publication', async () => {
  cluster = new LocalCluster({ replicationFactor: 2, nodeArgs: ['--anti-entropy-interval-ms', '0'] });
  await cluster.start(3);
  const ids = [...cluster.nodes.keys()];
  await writeKeys(ids[0]);
  const before = await heldCounts(ids);

  // The pod comes back on its address with no one giving it the ring: it asks a member.
  const victim = cluster.nodes.get(ids[2])!;
  await cluster.stopNode(ids[2], 'SIGKILL');
  const restarted = await startNodeProcess(
    ['--host', '127.0.0.1', '--port', String(victim.port), '--node-id', victim.id],
    {
      RINGCACHE_PEER_TOKEN: cluster.peerToken,
      RINGCACHE_RING_SOURCE: cluster.nodes.get(ids[0])!.address,
      RINGCACHE_ANTI_ENTROPY_INTERVAL_MS: '0',
    },
  );
  try {
    await waitFor(
      'the restarted node to be ready',
      async () => (await fetch(`${restarted.url}/readyz`)).status === 200,
      30_000,
    );
    const status = (await (await fetch(`${restarted.url}/v1/status`)).json()) as Status;
    expect(status.cluster.epoch).toBe(cluster.ring.epoch);
    expect(status.cluster.handoffComplete).toBe(true);
    expect(status.store.keys).toBe(before[2]);
    expect(restarted.logs).toContainEqual(
      expect.objectContaining({ msg: 'ring lookup at start-up', outcome: 'installed' }),
    );
  } finally {
    await restarted.stop('SIGKILL');
  }
}, 120_000);

test('a node whose --ring-source has no ring, or does not listen, goes on alone at once', async () => {
  const lonely = await startNodeProcess([], { RINGCACHE_RING_SOURCE: '127.0.0.1:1' });
  const ringless = await startNodeProcess([]);
  const asking = await startNodeProcess([], { RINGCACHE_RING_SOURCE: new URL(ringless.url).host });
  try {
    for (const node of [lonely, asking]) {
      await waitFor('the node to be ready', async () => (await fetch(`${node.url}/readyz`)).status === 200);
      await waitFor('the lookup to be logged', () =>
        node.logs.some((l) => l.msg === 'ring lookup at start-up'),
      );
    }
    expect(lonely.logs).toContainEqual(
      expect.objectContaining({ msg: 'ring lookup at start-up', outcome: 'unreachable' }),
    );
    expect(asking.logs).toContainEqual(
      expect.objectContaining({ msg: 'ring lookup at start-up', outcome: 'no ring' }),
    );
  } finally {
    await Promise.all([lonely, ringless, asking].map((n) => n.stop('SIGKILL')));
  }
});

test('while its --ring-source lookup runs, a node answers key and batch requests 503 NO_RING, then serves alone', async () => {
  // A source that fails (500, retried) until the test lets it say "no ring" (404).
  let answer = 500;
  const source = createServer((_req, res) => {
    res.writeHead(answer, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  const { port } = source.address() as AddressInfo;
  const node = await startNodeProcess([], { RINGCACHE_RING_SOURCE: `127.0.0.1:${port}` });
  try {
    const refused = [
      await fetch(`${node.url}/v1/keys/k`),
      await fetch(`${node.url}/v1/keys/k`, { method: 'PUT', body: 'v' }),
      await fetch(`${node.url}/v1/batch/get`, {
        method: 'POST',
        body: JSON.stringify({ keys: ['k'] }),
        headers: { 'content-type': 'application/json' },
      }),
      await fetch(`${node.url}/v1/batch/set`, {
        method: 'POST',
        body: encodeFrames([{ header: { key: 'k', size: 1 }, value: Buffer.from('v') }]),
        headers: { 'content-type': BATCH_CONTENT_TYPE },
      }),
    ];
    for (const response of refused) {
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('NO_RING');
    }
    answer = 404;
    await waitFor(
      'the lookup to end',
      () => node.logs.some((l) => l.msg === 'ring lookup at start-up'),
      30_000,
    );
    expect((await fetch(`${node.url}/v1/keys/k`, { method: 'PUT', body: 'v' })).status).toBe(201);
  } finally {
    await node.stop('SIGKILL');
    await new Promise<void>((resolve) => source.close(() => resolve()));
  }
}, 60_000);
