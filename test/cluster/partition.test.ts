/**
 * A partition between two nodes of three, made by TCP proxies between the nodes (clients still
 * reach every node): writes succeed on both sides under `one`, replicas converge after the
 * partition heals, and no write acknowledged under `quorum` is lost.
 */
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { buildRing, replicasOf } from '../../node/src/ring/index.js';
import { heldBy, Writer } from '../support/cluster-writer.js';
import { waitFor } from '../support/node-process.js';
import { PartitionProxies } from '../support/partition-proxy.js';

let cluster: LocalCluster | undefined;
const proxies = new PartitionProxies();

afterEach(async () => {
  await cluster?.stop();
  await proxies.close();
});

/** ringcache_hints_stored_total from a node's /metrics. */
async function hintsStored(id: string): Promise<number> {
  const text = await (await fetch(`${cluster!.url(id)}/metrics`)).text();
  const match = /^ringcache_hints_stored_total (\d+)$/m.exec(text);
  if (match === null) throw new Error(`no ringcache_hints_stored_total in the metrics of ${id}`);
  return Number(match[1]);
}

test('partition between two nodes: writes on both sides under one, convergence after healing, no quorum write lost', async () => {
  cluster = new LocalCluster({
    replicationFactor: 2,
    nodeArgs: ['--replica-timeout-ms', '400', '--anti-entropy-interval-ms', '500'],
    ringAddress: ({ id, address }) => proxies.proxyFor(id, address),
  });
  await cluster.start(3);
  const [a, b, c] = [...cluster.nodes.keys()].sort();
  const writers = {
    oneOnA: new Writer(cluster, () => [a], 40, { prefix: 'one-a-', consistency: 'one' }),
    oneOnB: new Writer(cluster, () => [b], 40, { prefix: 'one-b-', consistency: 'one' }),
    quorum: new Writer(cluster, () => [a, b], 60, { prefix: 'q-', consistency: 'quorum' }),
  };
  await writers.quorum.write(60); // before the partition
  expect(writers.quorum.failures).toBe(0);
  proxies.partition(a, b);
  // The cut is real: a's calls to b's ring address are reset, c's still pass.
  const ringAddress = (id: string) => cluster!.ring.members.find((m) => m.id === id)!.address;
  const asPeer = (from: string, to: string) =>
    fetch(`http://${ringAddress(to)}/healthz`, { headers: { 'x-ringcache-sender': `${from}@x:1` } }).then(
      (r) => r.status,
      () => 'reset',
    );
  expect(await asPeer(a, b)).toBe('reset');
  expect(await asPeer(b, a)).toBe('reset');
  expect(await asPeer(c, b)).toBe(200);

  await Promise.all([writers.oneOnA.write(80), writers.oneOnB.write(80), writers.quorum.write(120)]);
  // Each side keeps taking writes under `one`: the other side's copies go to c as hints.
  expect(writers.oneOnA.failures).toBe(0);
  expect(writers.oneOnB.failures).toBe(0);
  // Copies that could not cross were kept as hints (on c, or on the writer's side when c was
  // suspected too), counted in /metrics; the last `one` writes may still be replicating.
  const hints = async () => (await hintsStored(a)) + (await hintsStored(b)) + (await hintsStored(c));
  await waitFor('hints for the other side', async () => (await hints()) > 0, 10_000);

  proxies.heal();
  const ring = buildRing(cluster.ring);
  const all = [writers.oneOnA, writers.oneOnB, writers.quorum];
  const diverged = async () => {
    const found: string[] = [];
    for (const writer of all) {
      for (const [key, value] of writer.acked) {
        for (const owner of replicasOf(ring, key).all) {
          const held = await heldBy(cluster!, owner, key);
          if (held === undefined || !held.toString().endsWith(value)) found.push(`${key} on ${owner}`);
        }
      }
    }
    return found;
  };
  await waitFor(
    'every owner to hold every acknowledged write',
    async () => (await diverged()).length === 0,
    30_000,
  ).catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await diverged()).slice(0, 5).join('; ')}`);
  });
  for (const writer of all) expect(await writer.lost([a, b, c])).toEqual([]);
});
