/**
 * Anti-entropy alone (node/src/cluster/anti-entropy*.ts) on real node processes: replicas that
 * diverged with no restart and no client traffic converge by range digests. The divergence is
 * made by handing one owner a newer copy (a value, then a tombstone) through the peer apply
 * route, as a replication message that reached one owner and not the other would leave it.
 */
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { encodeEntries } from '../../node/src/cluster/entry-frames.js';
import { checksumOf, HEADER_CHECKSUM } from '../../node/src/cluster/peers.js';
import type { ReplicaEntry } from '../../node/src/cluster/replica.js';
import { buildRing, replicasOf } from '../../node/src/ring/index.js';
import { heldBy } from '../support/cluster-writer.js';
import { waitFor } from '../support/node-process.js';

let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
});

/** Gives `id` alone a copy of `entry`, as a peer would. */
async function applyOn(id: string, entry: ReplicaEntry): Promise<void> {
  const body = encodeEntries([entry]);
  const response = await fetch(`${cluster!.url(id)}/v1/internal/apply`, {
    method: 'POST',
    body,
    headers: {
      authorization: `Bearer ${cluster!.peerToken}`,
      'content-type': 'application/vnd.ringcache.entries',
      [HEADER_CHECKSUM]: checksumOf(body),
    },
  });
  expect(response.status).toBe(200);
}

test('owners that diverged converge with no client traffic: a newer value, then a delete', async () => {
  cluster = new LocalCluster({ replicationFactor: 2, nodeArgs: ['--anti-entropy-interval-ms', '300'] });
  await cluster.start(3);
  const [first] = [...cluster.nodes.keys()];
  const ring = buildRing(cluster.ring);
  const key = 'diverged';
  const [owner, other] = replicasOf(ring, key).all;
  const put = await fetch(`${cluster.url(first)}/v1/keys/${key}`, { method: 'PUT', body: 'old' });
  expect(put.status).toBe(201);
  const version = Number(put.headers.get('etag')?.replace(/"/g, ''));
  expect(Number.isSafeInteger(version)).toBe(true);

  const newer = { key, version: version + 1000, expiresAt: 0, contentType: 'text/plain', tombstone: false };
  await applyOn(owner, { ...newer, value: Buffer.from('new') });
  expect((await heldBy(cluster, other, key))?.toString()).toMatch(/old$/);
  await waitFor(
    'the other owner to hold the newer value',
    async () => (await heldBy(cluster!, other, key))?.toString().endsWith('new') === true,
    30_000,
  );

  await applyOn(other, { ...newer, version: version + 2000, tombstone: true, value: Buffer.alloc(0) });
  await waitFor(
    'the first owner to hold the tombstone',
    async () => (await heldBy(cluster!, owner, key))?.toString().includes('"tombstone":true') === true,
    30_000,
  );
  expect((await fetch(`${cluster.url(first)}/v1/keys/${key}`)).status).toBe(404);
});
