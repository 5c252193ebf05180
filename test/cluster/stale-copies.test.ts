/**
 * A replica that missed writes must never decide for the cluster: conditional writes on a
 * primary that missed the newest write, quorum reads when an asked replica fails, two
 * coordinators that stamp the same version, and an overwrite that expires while an owner holds
 * the older value. Real node processes on loopback; the links between nodes pass through TCP
 * proxies, so a test cuts exactly the copies it means to (a paused node would still take the
 * requests queued on its sockets when it resumes). Every wait has a deadline.
 */
import type { ChildProcess } from 'node:child_process';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { decodeEntries } from '../../node/src/cluster/entry-frames.js';
import type { ReplicaEntry } from '../../node/src/cluster/replica.js';
import { buildRing, NEXT, ownersOf, replicasOf } from '../../node/src/ring/index.js';
import { heldBy } from '../support/cluster-writer.js';
import { waitFor } from '../support/node-process.js';
import { PartitionProxies } from '../support/partition-proxy.js';

const clusters: LocalCluster[] = [];
const proxies: PartitionProxies[] = [];
const paused = new Set<ChildProcess>();
afterEach(async () => {
  for (const child of paused) child.kill('SIGCONT');
  paused.clear();
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});

async function startCluster(nodes: number, replicationFactor: number, nodeArgs: string[]) {
  const links = new PartitionProxies();
  proxies.push(links);
  const cluster = new LocalCluster({
    replicationFactor,
    nodeArgs: ['--replica-timeout-ms', '400', ...nodeArgs],
    ringAddress: ({ id, address }) => links.proxyFor(id, address),
  });
  clusters.push(cluster);
  await cluster.start(nodes);
  const ids = [...cluster.nodes.keys()].sort();
  const pause = (id: string) => {
    const child = cluster.nodes.get(id)!.child;
    child.kill('SIGSTOP');
    paused.add(child);
  };
  const resume = (id: string) => {
    const child = cluster.nodes.get(id)!.child;
    child.kill('SIGCONT');
    paused.delete(child);
  };
  /** Cuts `id` off from every other node (clients still reach it). */
  const isolate = (id: string) => {
    for (const other of ids) if (other !== id) links.partition(id, other);
  };
  return { cluster, ids, pause, resume, isolate, links };
}

/** Keys whose replicas are `owners` in order and, when given, whose first fallback is `fallback`. */
function keysOwnedBy(
  cluster: LocalCluster,
  prefix: string,
  count: number,
  owners: string[],
  fallback?: string,
) {
  const ring = buildRing(cluster.ring);
  const keys: string[] = [];
  for (let i = 0; keys.length < count && i < 100_000; i++) {
    const key = `${prefix}-${i}`;
    const all = replicasOf(ring, key).all;
    if (all.length !== owners.length || !owners.every((id, j) => all[j] === id)) continue;
    const spare = ownersOf(ring, key, ring.eligible[NEXT], NEXT).filter((id) => !all.includes(id));
    if (fallback === undefined || spare[0] === fallback) keys.push(key);
  }
  return keys;
}

async function request(
  cluster: LocalCluster,
  id: string,
  key: string,
  init: RequestInit & { consistency?: string } = {},
) {
  const headers = new Headers(init.headers);
  if (init.consistency !== undefined) headers.set('x-consistency', init.consistency);
  const response = await fetch(`${cluster.url(id)}/v1/keys/${encodeURIComponent(key)}`, {
    ...init,
    headers,
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: await response.text(), etag: response.headers.get('etag') };
}

/** A node's own copy of `key` (value or tombstone), or undefined. */
async function copyOf(cluster: LocalCluster, id: string, key: string): Promise<ReplicaEntry | undefined> {
  const frame = await heldBy(cluster, id, key);
  return frame === undefined ? undefined : decodeEntries(frame, 1)[0];
}
const text = (entry: ReplicaEntry | undefined) =>
  entry === undefined ? 'absent' : entry.tombstone ? 'tombstone' : Buffer.from(entry.value).toString();

/** The cluster counters of GET /v1/status. */
async function clusterStatus(cluster: LocalCluster, id: string) {
  const status = (await (await fetch(`${cluster.url(id)}/v1/status`)).json()) as {
    cluster: { antiEntropy: { rounds: number } };
  };
  return status.cluster;
}

test('conditional writes on a primary that missed the newest write are judged on that write', async () => {
  const { cluster, ids, isolate, links } = await startCluster(3, 2, ['--anti-entropy-interval-ms', '0']);
  const [primary, second, fallback] = ids;
  const [casKey, deleteKey] = keysOwnedBy(cluster, 'cas', 2, [primary, second], fallback);
  const [createKey] = keysOwnedBy(cluster, 'create', 1, [primary, second], fallback);
  const v1 = new Map<string, string>();
  for (const key of [casKey, deleteKey]) {
    const written = await request(cluster, primary, key, { method: 'PUT', body: 'v1', consistency: 'all' });
    expect(written.status).toBe(201);
    v1.set(key, written.etag!);
  }

  // The primary is cut off from its peers (clients still reach it): the second owner takes the
  // writes, and their copies for the primary wait as hints on the fallback.
  isolate(primary);
  const writes = await Promise.all([
    request(cluster, second, casKey, { method: 'PUT', body: 'v2', consistency: 'quorum' }),
    request(cluster, second, deleteKey, { method: 'PUT', body: 'v2', consistency: 'quorum' }),
    request(cluster, second, createKey, { method: 'PUT', body: 'v2', consistency: 'quorum' }),
  ]);
  expect(writes.map((w) => w.status)).toEqual([204, 204, 201]);
  // The primary reaches the second owner again, but not the fallback holding those hints.
  links.heal(primary, second);
  const held = await Promise.all([casKey, deleteKey, createKey].map((k) => copyOf(cluster, primary, k)));
  expect(held.map(text)).toEqual(['v1', 'v1', 'absent']);

  // Each precondition holds on the primary's own copy, and fails on the newest write.
  const decided = await Promise.all([
    request(cluster, primary, casKey, {
      method: 'PUT',
      body: 'v3',
      headers: { 'if-match': v1.get(casKey)! },
    }),
    request(cluster, primary, deleteKey, { method: 'DELETE', headers: { 'if-match': v1.get(deleteKey)! } }),
    request(cluster, primary, createKey, { method: 'PUT', body: 'v3', headers: { 'if-none-match': '*' } }),
  ]);
  expect(decided.map((d) => d.status)).toEqual([412, 412, 412]);
  // The primary took the newest copies on the way: a compare-and-set on v2's ETag succeeds.
  const etag = (await request(cluster, second, casKey)).etag!;
  const swapped = await request(cluster, primary, casKey, {
    method: 'PUT',
    body: 'v3',
    headers: { 'if-match': etag },
  });
  expect(swapped.status).toBe(204);

  links.heal();
  for (const [key, value] of [
    [casKey, 'v3'],
    [deleteKey, 'v2'],
    [createKey, 'v2'],
  ])
    expect([key, (await request(cluster, second, key)).body]).toEqual([key, value]);
});

test('a conditional write is decided by the primary only: 503 while it does not answer, never a second decider', async () => {
  const { cluster, ids, pause, resume } = await startCluster(3, 2, ['--anti-entropy-interval-ms', '0']);
  const [primary, second, other] = ids;
  const [key, plain] = keysOwnedBy(cluster, 'only', 2, [primary, second], other);
  pause(primary);
  // Through a node that owns nothing of the key, and as forwarded to the second owner by a peer.
  const viaOther = await request(cluster, other, key, {
    method: 'PUT',
    body: 'a',
    headers: { 'if-none-match': '*' },
  });
  const forwarded = await request(cluster, second, key, {
    method: 'PUT',
    body: 'b',
    headers: {
      'if-none-match': '*',
      'x-ringcache-forwarded': '1',
      'x-ringcache-peer-authorization': `Bearer ${cluster.peerToken}`,
    },
  });
  for (const refused of [viaOther, forwarded]) {
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error).toEqual({
      code: 'UNAVAILABLE',
      message: `a conditional write of "${key}" is decided by its primary, ${primary}, which did not answer; retry`,
    });
  }
  // A plain write still goes through the second owner meanwhile.
  expect((await request(cluster, other, plain, { method: 'PUT', body: 'x' })).status).toBe(201);
  resume(primary);
  await waitFor(
    'the primary to take conditional writes again',
    async () => {
      const created = await request(cluster, other, key, {
        method: 'PUT',
        body: 'a',
        headers: { 'if-none-match': '*' },
      });
      return created.status === 201;
    },
    15_000,
  );
  // Through the second owner too, once it stops suspecting the primary (503 until then).
  let again = { status: 0 };
  await waitFor(
    'the second owner to forward conditional writes to the primary again',
    async () => {
      again = await request(cluster, second, key, {
        method: 'PUT',
        body: 'b',
        headers: { 'if-none-match': '*' },
      });
      return again.status !== 503;
    },
    15_000,
  );
  expect(again.status).toBe(412);
  expect((await request(cluster, second, key)).body).toBe('a');
});

test('RF 3: a quorum read whose asked replica fails asks the next one instead of answering from one copy', async () => {
  const { cluster, ids, isolate, links } = await startCluster(4, 3, ['--anti-entropy-interval-ms', '0']);
  const [a, b, c, d] = ids;
  const keys = keysOwnedBy(cluster, 'ryw', 6, [a, b, c], d);
  for (const key of keys)
    expect((await request(cluster, a, key, { method: 'PUT', body: 'v1', consistency: 'all' })).status).toBe(
      201,
    );

  // b misses v2 (acknowledged by a and c; b's copy waits as a hint on d, which cannot reach it).
  isolate(b);
  const written = await Promise.all(
    keys.map((key) => request(cluster, a, key, { method: 'PUT', body: 'v2', consistency: 'quorum' })),
  );
  expect(written.map((w) => w.status)).toEqual(keys.map(() => 204));
  links.heal(b, c);
  expect(text(await copyOf(cluster, b, keys[0]))).toBe('v1');

  // A read forwarded to b (as a node does when the primary failed it): b asks a, which does not
  // answer, and must then ask c rather than answer from its own copy.
  const forwarded = {
    'x-ringcache-forwarded': '1',
    'x-ringcache-peer-authorization': `Bearer ${cluster.peerToken}`,
  };
  const reads = await Promise.all(
    keys.map((key) => request(cluster, b, key, { consistency: 'quorum', headers: forwarded })),
  );
  expect(reads.map((r) => `${r.status} ${r.body}`)).toEqual(keys.map(() => '200 v2'));
  // And b's stale copies were repaired on the way.
  for (const key of keys) expect([key, text(await copyOf(cluster, b, key))]).toEqual([key, 'v2']);
});

test('two coordinators stamping the same version: the owners still converge on one value', async () => {
  const { cluster, ids } = await startCluster(3, 2, ['--anti-entropy-interval-ms', '500']);
  const [primary, second] = ids;
  const keys = keysOwnedBy(cluster, 'tie', 150, [primary, second]);
  // Two coordinators at once: the primary, and the second owner as a peer's forward makes it.
  const forwarded = {
    'x-ringcache-forwarded': '1',
    'x-ringcache-peer-authorization': `Bearer ${cluster.peerToken}`,
  };
  let sameEtag = 0;
  for (const key of keys) {
    const [x, y] = await Promise.all([
      request(cluster, primary, key, { method: 'PUT', body: `x-${key}` }),
      request(cluster, second, key, { method: 'PUT', body: `y-${key}`, headers: forwarded }),
    ]);
    expect([x.status, y.status].every((s) => s === 201 || s === 204)).toBe(true);
    if (x.etag === y.etag) sameEtag++;
  }
  console.log(`${sameEtag} of ${keys.length} concurrent pairs were stamped the same version`);
  await waitFor(
    'both owners to hold the same value of every key',
    async () => {
      for (const key of keys) {
        const [p, s] = await Promise.all([copyOf(cluster, primary, key), copyOf(cluster, second, key)]);
        if (text(p) !== text(s) || p?.version !== s?.version) return false;
      }
      return true;
    },
    20_000,
  );
});

test('an overwrite that expires while an owner still holds the older value does not bring that value back', async () => {
  const { cluster, ids, isolate, links } = await startCluster(3, 2, ['--anti-entropy-interval-ms', '300']);
  const [primary, second, fallback] = ids;
  const keys = keysOwnedBy(cluster, 'ttl', 5, [primary, second], fallback);
  for (const key of keys)
    expect(
      (await request(cluster, primary, key, { method: 'PUT', body: 'v1', consistency: 'all' })).status,
    ).toBe(201);

  // The second owner misses the overwrite; its copy waits as a hint on the fallback, which dies.
  isolate(second);
  const overwrites = await Promise.all(
    keys.map((key) =>
      request(cluster, primary, key, { method: 'PUT', body: 'v2', headers: { 'x-ttl-ms': '1000' } }),
    ),
  );
  expect(overwrites.map((w) => w.status)).toEqual(keys.map(() => 204));
  await cluster.stopNode(fallback, 'SIGKILL');
  links.heal();
  expect(text(await copyOf(cluster, second, keys[0]))).toBe('v1');

  // The overwrite expires; anti-entropy then runs several rounds between the two owners.
  await waitFor(
    'the overwrite to expire',
    async () => (await request(cluster, primary, keys[0], { consistency: 'one' })).status === 404,
    10_000,
  );
  const rounds = (await clusterStatus(cluster, primary)).antiEntropy.rounds;
  await waitFor(
    'three anti-entropy rounds',
    async () => (await clusterStatus(cluster, primary)).antiEntropy.rounds >= rounds + 3,
    20_000,
  );
  for (const key of keys) {
    expect([key, (await request(cluster, primary, key)).status]).toEqual([key, 404]);
    expect([key, (await request(cluster, second, key)).status]).toEqual([key, 404]);
    // The expiry reached the owner that held v1.
    expect([key, text(await copyOf(cluster, second, key))]).toEqual([key, 'tombstone']);
  }
});

test('a quorum read or delete through an owner cut off from its peers is refused, not answered from its stale copy', async () => {
  const { cluster, ids, isolate, links } = await startCluster(3, 2, ['--anti-entropy-interval-ms', '0']);
  const [primary, second, fallback] = ids;
  const keys = keysOwnedBy(cluster, 'cut', 4, [primary, second], fallback);
  for (const key of keys)
    expect(
      (await request(cluster, primary, key, { method: 'PUT', body: 'v1', consistency: 'all' })).status,
    ).toBe(201);
  // The second owner misses v2: acknowledged by the primary and a hint on the fallback.
  isolate(second);
  for (const key of keys)
    expect(
      (await request(cluster, primary, key, { method: 'PUT', body: 'v2', consistency: 'quorum' })).status,
    ).toBe(204);

  // Clients still reach the second owner; it can ask nobody, so it cannot know v1 is stale.
  const [readKey, deleteKey] = keys;
  const read = await request(cluster, second, readKey, { consistency: 'quorum' });
  expect([read.status, JSON.parse(read.body).error.code]).toEqual([503, 'UNAVAILABLE']);
  const removed = await request(cluster, second, deleteKey, { method: 'DELETE', consistency: 'quorum' });
  expect(removed.status).toBe(503);
  // Under "one" it answers from what it holds, as documented.
  expect((await request(cluster, second, readKey, { consistency: 'one' })).body).toBe('v1');

  links.heal();
  for (const key of keys) expect([key, (await request(cluster, primary, key)).body]).toEqual([key, 'v2']);
});

test("with an owner dead, a quorum read asks the fallback holding the other owner's hint", async () => {
  const { cluster, ids, isolate, links } = await startCluster(3, 2, ['--anti-entropy-interval-ms', '0']);
  const [primary, second, fallback] = ids;
  const keys = keysOwnedBy(cluster, 'standin', 4, [primary, second], fallback);
  for (const key of keys)
    expect(
      (await request(cluster, primary, key, { method: 'PUT', body: 'v1', consistency: 'all' })).status,
    ).toBe(201);
  // The primary misses v2: the second owner coordinates it, the fallback keeps the primary's copy.
  isolate(primary);
  for (const key of keys)
    expect(
      (await request(cluster, second, key, { method: 'PUT', body: 'v2', consistency: 'quorum' })).status,
    ).toBe(204);
  await cluster.stopNode(second, 'SIGKILL');
  // The primary may ask the fallback, but the fallback's hints cannot reach the primary.
  links.heal();
  links.cutOneWay(fallback, primary);
  expect(text(await copyOf(cluster, primary, keys[0]))).toBe('v1');

  for (const key of keys) {
    const read = await request(cluster, primary, key, { consistency: 'quorum' });
    expect([key, read.status, read.body]).toEqual([key, 200, 'v2']);
  }
  // The primary took v2 on the way.
  for (const key of keys) expect([key, text(await copyOf(cluster, primary, key))]).toEqual([key, 'v2']);
});

test("a write's TTL runs from when the cluster received it, not from when a failed-over forward landed", async () => {
  const { cluster, ids, pause } = await startCluster(3, 2, [
    '--anti-entropy-interval-ms',
    '0',
    '--replica-timeout-ms',
    '1000',
  ]);
  const [primary, second, other] = ids;
  const [key] = keysOwnedBy(cluster, 'ttl-forward', 1, [primary, second], other);
  pause(primary);
  // Through a non-owner: it waits out the primary (3 replica timeouts), then the second owner
  // coordinates the write.
  const sentAt = Date.now();
  const written = await request(cluster, other, key, {
    method: 'PUT',
    body: 'v',
    headers: { 'x-ttl-ms': '60000' },
  });
  expect(written.status).toBe(201);
  expect(Date.now() - sentAt).toBeGreaterThan(2_000); // the failover did happen
  const read = await fetch(`${cluster.url(second)}/v1/keys/${key}`, { headers: { 'x-consistency': 'one' } });
  const remaining = Number(read.headers.get('x-ttl-ms'));
  // Expiry no later than the client asked, counted from its send (plus scheduling slack).
  expect(remaining + (Date.now() - sentAt)).toBeLessThanOrEqual(60_000 + 1_500);
}, 60_000);

test('a hint read from a fallback after its value expired is not served', async () => {
  // A short tombstone grace stands in for an owner down longer than the default ten minutes.
  const { cluster, ids } = await startCluster(3, 2, [
    '--anti-entropy-interval-ms',
    '0',
    '--tombstone-grace-ms',
    '1000',
    '--expiry-interval-ms',
    '50',
  ]);
  const [primary, second, fallback] = ids;
  const keys = keysOwnedBy(cluster, 'expired-hint', 5, [primary, second], fallback);
  await cluster.stopNode(second, 'SIGKILL');
  // Each write is held by the primary and, as a hint for the dead owner, by the fallback.
  for (const key of keys) {
    const written = await request(cluster, primary, key, {
      method: 'PUT',
      body: 'short-lived',
      headers: { 'x-ttl-ms': '300' },
    });
    expect(written.status).toBe(201);
  }
  // Past the expiry and the grace of the primary's own tombstones: only the hints are left.
  const tombstones = async () => {
    const status = (await (await fetch(`${cluster.url(primary)}/v1/status`)).json()) as {
      cluster: { tombstones: { held: number; dropped: number } };
    };
    return status.cluster.tombstones.held;
  };
  await waitFor('the values to expire on the primary', async () => (await tombstones()) === keys.length);
  await waitFor('their tombstones to be pruned', async () => (await tombstones()) === 0);
  for (let round = 0; round < 2; round++)
    for (const key of keys) expect([key, (await request(cluster, primary, key)).status]).toEqual([key, 404]);
});

test('a hint counts for an owner only on the first fallback in ring order, where a quorum read looks', async () => {
  const { cluster, ids, links } = await startCluster(4, 2, ['--anti-entropy-interval-ms', '0']);
  const [primary, second, first, next] = ids;
  const keys = keysOwnedBy(cluster, 'first-fallback', 4, [primary, second], first);
  for (const key of keys)
    expect(
      (await request(cluster, primary, key, { method: 'PUT', body: 'v1', consistency: 'all' })).status,
    ).toBe(201);
  // The primary reaches neither the second owner nor the first fallback: its hint could only go
  // to the next fallback, which the second owner's quorum read does not count (nor reach here).
  links.partition(primary, second);
  links.partition(primary, first);
  links.partition(next, second);
  for (const key of keys) {
    const written = await request(cluster, primary, key, {
      method: 'PUT',
      body: 'v2',
      consistency: 'quorum',
    });
    expect([key, written.status]).toEqual([key, 503]);
  }
  // Nothing was acknowledged that a quorum read could miss: it answers v1, or refuses.
  for (const key of keys) {
    const read = await request(cluster, second, key, { consistency: 'quorum' });
    expect([key, read.status, read.body]).toEqual([key, 200, 'v1']);
  }
});
