/**
 * The cluster on real node processes over loopback: failures and membership changes while a
 * writer runs, and the promise that no acknowledged write is lost. Every loop is bounded.
 */
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { waitFor } from '../support/node-process.js';
import { heldBy, Writer } from '../support/cluster-writer.js';
import { buildRing, NEXT, ownersOf, replicasOf } from '../../node/src/ring/index.js';

const clusters: LocalCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
});

async function startCluster(nodes: number, nodeArgs: string[] = []): Promise<LocalCluster> {
  const cluster = new LocalCluster({
    replicationFactor: 2,
    nodeArgs: ['--replica-timeout-ms', '400', ...nodeArgs],
  });
  clusters.push(cluster);
  await cluster.start(nodes);
  return cluster;
}

test('kill -9 of one node of 3 (RF 2, quorum) while writing: every acknowledged write reads back', async () => {
  const cluster = await startCluster(3);
  const ids = [...cluster.nodes.keys()].sort();
  const victim = ids[1];
  let alive = ids;
  const writer = new Writer(cluster, () => alive);
  await writer.write(150);
  await cluster.stopNode(victim, 'SIGKILL');
  alive = ids.filter((id) => id !== victim);
  await writer.write(250);
  expect(writer.acked.size).toBe(100);
  // Writes keep succeeding with one node down: its copies go to a fallback as hints.
  expect(writer.failures).toBeLessThan(10);
  expect(await writer.lost(alive)).toEqual([]);
});

test('SIGSTOP of one node: writes still succeed; after SIGCONT its hints arrive and replicas converge', async () => {
  const cluster = await startCluster(3);
  const ids = [...cluster.nodes.keys()].sort();
  const paused = cluster.nodes.get(ids[2])!;
  const others = ids.slice(0, 2);
  const writer = new Writer(cluster, () => others, 60);
  paused.child.kill('SIGSTOP');
  try {
    await writer.write(120);
  } finally {
    paused.child.kill('SIGCONT');
  }
  expect(writer.failures).toBe(0);
  // Every owner of every key ends up with the acknowledged value.
  const ring = buildRing(cluster.ring);
  await waitFor(
    'replicas to converge',
    async () => {
      for (const [key, value] of writer.acked) {
        for (const owner of replicasOf(ring, key).all) {
          const response = await fetch(`${cluster.url(owner)}/v1/internal/entries/${key}`, {
            headers: { authorization: `Bearer ${cluster.peerToken}` },
          });
          if (
            response.status !== 200 ||
            !Buffer.from(await response.arrayBuffer())
              .toString()
              .endsWith(value)
          )
            return false;
        }
      }
      return true;
    },
    20_000,
  );
  expect(await writer.lost(ids)).toEqual([]);
});

test('SIGSTOP of an owner: "all" fails with 503 (a hint is not an owner), "quorum" succeeds; after SIGCONT "all" reads the quorum write', async () => {
  const cluster = await startCluster(3);
  const ids = [...cluster.nodes.keys()].sort();
  const paused = cluster.nodes.get(ids[2])!;
  const ring = buildRing(cluster.ring);
  // Keys owned by the paused node and one other; asked through that other owner.
  const keys = Array.from({ length: 400 }, (_, i) => `all${i}`)
    .filter((key) => replicasOf(ring, key).all.includes(paused.id))
    .slice(0, 6);
  const via = (key: string) => cluster.url(replicasOf(ring, key).all.find((id) => id !== paused.id)!);
  const request = async (key: string, consistency: string, init: RequestInit = {}) => {
    const response = await fetch(`${via(key)}/v1/keys/${key}`, {
      ...init,
      headers: { 'x-consistency': consistency },
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: await response.text() };
  };
  for (const key of keys) expect((await request(key, 'all', { method: 'PUT', body: 'v1' })).status).toBe(201);
  expect((await request(keys[0], 'all')).body).toBe('v1');

  paused.child.kill('SIGSTOP');
  try {
    for (const key of keys) {
      const strict = await request(key, 'all', { method: 'PUT', body: `v2-${key}` });
      expect([key, strict.status]).toEqual([key, 503]);
      expect(JSON.parse(strict.body).error.code).toBe('UNAVAILABLE');
      const read = await request(key, 'all');
      expect([key, read.status]).toEqual([key, 503]);
      expect(JSON.parse(read.body).error.message).toContain('under "all"');
      // The same write under quorum is acknowledged: the frozen owner's copy waits as a hint.
      expect((await request(key, 'quorum', { method: 'PUT', body: `v3-${key}` })).status).toBe(204);
      expect(await request(key, 'quorum')).toEqual({ status: 200, body: `v3-${key}` });
    }
  } finally {
    paused.child.kill('SIGCONT');
  }
  // Once the owner answers again, "all" works and every owner has the newest value.
  await waitFor(
    'reads under "all" after SIGCONT',
    async () => {
      for (const key of keys) {
        const read = await request(key, 'all');
        if (read.status !== 200 || read.body !== `v3-${key}`) return false;
      }
      return true;
    },
    20_000,
  );
});

test('through a node that holds no copy: answers framed as the owner frames them, preconditions as on a single node', async () => {
  const cluster = await startCluster(3);
  const ids = [...cluster.nodes.keys()].sort();
  const ring = buildRing(cluster.ring);
  const key = Array.from({ length: 100 }, (_, i) => `fw${i}`).find(
    (k) => !replicasOf(ring, k).all.includes(ids[0]),
  )!;
  const url = `${cluster.url(ids[0])}/v1/keys/${key}`;
  const exchange = async (init: RequestInit = {}) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = await response.text();
    return {
      status: response.status,
      length: response.headers.get('content-length'),
      chunked: response.headers.get('transfer-encoding'),
      body,
    };
  };
  expect(await exchange({ method: 'PUT', body: 'forwarded' })).toEqual({
    status: 201,
    length: '0',
    chunked: null,
    body: '',
  });
  expect(await exchange()).toEqual({ status: 200, length: '9', chunked: null, body: 'forwarded' });
  const refused = await exchange({ method: 'DELETE', headers: { 'If-None-Match': '*' } });
  expect(refused).toMatchObject({ status: 412, chunked: null });
  expect(Number(refused.length)).toBe(Buffer.byteLength(refused.body));
  expect(await exchange({ method: 'DELETE' })).toMatchObject({ status: 204, body: '' });
  const missing = await exchange();
  expect(missing).toMatchObject({ status: 404, chunked: null });
  expect(JSON.parse(missing.body).error.code).toBe('NOT_FOUND');
});

test('SIGCONT: the resumed node answers quorum reads with the writes made while it was frozen', async () => {
  const cluster = await startCluster(3);
  const ids = [...cluster.nodes.keys()].sort();
  const paused = cluster.nodes.get(ids[2])!;
  const others = ids.slice(0, 2);
  const ring = buildRing(cluster.ring);
  // Keys the paused node holds a copy of: it reads its own copy and asks the other owner.
  const keys = Array.from({ length: 400 }, (_, i) => `r${i}`)
    .filter((key) => replicasOf(ring, key).all.includes(paused.id))
    .slice(0, 40);
  const put = async (key: string, value: string) => {
    const response = await fetch(`${cluster.url(others[keys.indexOf(key) % 2])}/v1/keys/${key}`, {
      method: 'PUT',
      body: value,
      signal: AbortSignal.timeout(10_000),
    });
    return response.status === 201 || response.status === 204;
  };
  const read = async (key: string) => {
    const response = await fetch(`${cluster.url(paused.id)}/v1/keys/${key}`, {
      headers: { 'x-consistency': 'quorum' },
      signal: AbortSignal.timeout(10_000),
    });
    return `${response.status} ${await response.text()}`;
  };
  for (const key of keys) expect(await put(key, `old-${key}`)).toBe(true);

  // Readers keep the node busy, with calls to its peers in flight, so some are pending when it freezes
  // and their timeouts run out as it resumes, before the answers waiting in its sockets are read.
  let reading = true;
  let reads = 0;
  const readers = Array.from({ length: 32 }, async (_, r) => {
    for (let i = r; reading && reads < 50_000; i++, reads++)
      await read(keys[i % keys.length]).catch(() => '');
  });
  try {
    await waitFor('reads through the node', async () => reads > 200, 10_000);
    // Whether the node is running JavaScript or waiting for I/O when it freezes decides whether
    // its timers or its sockets come first when it resumes: freeze it several times.
    for (let round = 0; round < 4; round++) {
      paused.child.kill('SIGSTOP');
      // Each write waits out the frozen owner (replica timeout 400 ms) or skips it, and leaves a hint.
      const acknowledged: string[] = [];
      for (const key of keys) if (await put(key, `new${round}-${key}`)) acknowledged.push(key);
      expect(acknowledged.length).toBeGreaterThan(keys.length - 3);
      paused.child.kill('SIGCONT');
      // At once, before the hints are handed back: a quorum read must ask the other owner.
      const stale: string[] = [];
      for (const key of acknowledged) {
        const answer = await read(key);
        if (answer !== `200 new${round}-${key}`) stale.push(`${key}: ${answer}`);
      }
      expect([round, stale]).toEqual([round, []]);
      const before = reads;
      await waitFor('reads after the resume', async () => reads > before + 200, 10_000);
    }
  } finally {
    paused.child.kill('SIGCONT');
    reading = false;
    await Promise.all(readers);
  }
});

test('scale 3 -> 5 -> 3 with drain while writing: no acknowledged write is lost; after the grace every key sits on its owners only', async () => {
  const cluster = await startCluster(3, ['--unowned-grace-ms', '1000', '--anti-entropy-interval-ms', '300']);
  const writer = new Writer(cluster, () =>
    [...cluster.nodes.keys()].filter((id) =>
      cluster.ring.members.some((m) => m.id === id && m.state === 'active'),
    ),
  );
  await writer.write(100);
  let writing = true;
  const background = (async () => {
    while (writing && writer.count < 2000) await writer.write(10);
  })();
  try {
    const added = [await cluster.add(), await cluster.add()];
    expect(cluster.ring.members.filter((m) => m.state === 'active')).toHaveLength(5);
    const original = [...cluster.nodes.keys()].filter((id) => !added.includes(id)).sort();
    await cluster.remove(original[0]);
    await cluster.remove(added[0]);
  } finally {
    writing = false;
    await background;
  }
  expect(cluster.ring.members.map((m) => m.state)).toEqual(['active', 'active', 'active']);
  expect(writer.acked.size).toBe(100);
  expect(await writer.lost([...cluster.nodes.keys()])).toEqual([]);

  // Nodes that held keys during the changes drop what they no longer own once the grace is over.
  const ring = buildRing(cluster.ring);
  const misplaced = async () => {
    const found: string[] = [];
    for (const key of writer.acked.keys()) {
      const owners = replicasOf(ring, key).all;
      for (const id of cluster.nodes.keys()) {
        const held = (await heldBy(cluster, id, key)) !== undefined;
        if (held !== owners.includes(id))
          found.push(`${key} ${held ? 'held by non-owner' : 'missing on owner'} ${id}`);
      }
    }
    return found;
  };
  await waitFor('every key on its owners only', async () => (await misplaced()).length === 0, 30_000).catch(
    async (err: Error) => {
      throw new Error(`${err.message}: ${(await misplaced()).slice(0, 5).join('; ')}`);
    },
  );
});

test('a node restarted empty gets its share back without any client traffic, deletes included', async () => {
  const cluster = await startCluster(3, ['--anti-entropy-interval-ms', '300']);
  const ids = [...cluster.nodes.keys()].sort();
  const writer = new Writer(cluster, () => ids, 150);
  await writer.write(150);
  expect(writer.failures).toBe(0);
  const deleted = [...writer.acked.keys()].slice(0, 15);
  for (const key of deleted) {
    const response = await fetch(`${cluster.url(ids[0])}/v1/keys/${key}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    writer.acked.delete(key);
  }
  const victim = ids[2];
  await cluster.restart(victim); // kill -9, then the same identity and port, empty
  const ring = buildRing(cluster.ring);
  const owned = [...writer.acked].filter(([key]) => replicasOf(ring, key).all.includes(victim));
  expect(owned.length).toBeGreaterThan(20);
  const missing = async () => {
    const found: string[] = [];
    for (const [key, value] of owned) {
      const held = await heldBy(cluster, victim, key);
      if (held === undefined || !held.toString().endsWith(value)) found.push(key);
    }
    return found;
  };
  // Nothing reads or writes these keys: share recovery (and anti-entropy behind it) brings them back.
  await waitFor(
    'the restarted node to hold its share again',
    async () => (await missing()).length === 0,
    30_000,
  );
  const deletedOwned = deleted.filter((key) => replicasOf(ring, key).all.includes(victim));
  for (const key of deletedOwned) {
    const held = await heldBy(cluster, victim, key);
    // Absent, or the tombstone itself: never the deleted value.
    expect(held === undefined || !held.toString().includes(`"tombstone":false`)).toBe(true);
  }
  expect(await writer.lost(ids)).toEqual([]);
  for (const key of deleted) expect((await fetch(`${cluster.url(victim)}/v1/keys/${key}`)).status).toBe(404);
});

test('ring epochs: a stale publication is refused; a node that missed one learns it from a peer', async () => {
  const cluster = await startCluster(3);
  const ids = [...cluster.nodes.keys()].sort();
  const put = (id: string, body: unknown) =>
    fetch(`${cluster.url(id)}/v1/ring`, {
      method: 'PUT',
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${cluster.peerToken}` },
    });
  const stale = await put(ids[0], cluster.ring);
  expect(stale.status).toBe(409);
  expect(((await stale.json()) as { error: { code: string } }).error.code).toBe('STALE_RING');
  expect((await put(ids[0], { ...cluster.ring, epoch: 99 })).status).toBe(200);
  expect((await fetch(`${cluster.url(ids[0])}/v1/ring`, { method: 'PUT', body: '{}' })).status).toBe(401);

  // ids[1] and ids[2] still have epoch 1; traffic from ids[0] carries epoch 99.
  for (let i = 0; i < 20; i++)
    await fetch(`${cluster.url(ids[0])}/v1/keys/learn-${i}`, { method: 'PUT', body: 'x' });
  await waitFor('the others to learn epoch 99', async () => {
    const epochs = await Promise.all(
      ids.map(async (id) =>
        Number((await fetch(`${cluster.url(id)}/v1/ring`)).headers.get('etag')?.replaceAll('"', '')),
      ),
    );
    return epochs.every((e) => e === 99);
  });
});

test('a removed node passes on the writes it holds for a paused owner: they survive its removal and then the other owner’s death', async () => {
  // Anti-entropy off: only the hints can give the paused owner its copies.
  const cluster = await startCluster(4, ['--anti-entropy-interval-ms', '0']);
  const ring = buildRing(cluster.ring);
  const [primary, second, fallback] = ['local-0', 'local-1', 'local-3'];
  const keys: string[] = [];
  for (let i = 0; keys.length < 400; i++) {
    const key = `held-${i}`;
    const owners = replicasOf(ring, key).all;
    const spare = ownersOf(ring, key, ring.eligible[NEXT], NEXT).filter((id) => !owners.includes(id));
    if (owners[0] === primary && owners[1] === second && spare[0] === fallback) keys.push(key);
  }
  const paused = cluster.nodes.get(second)!;
  paused.child.kill('SIGSTOP');
  const acked = new Map<string, string>();
  try {
    for (const key of keys) {
      const response = await fetch(`${cluster.url(primary)}/v1/keys/${key}`, {
        method: 'PUT',
        body: `${key}=v1`,
      });
      if (response.ok) acked.set(key, `${key}=v1`);
    }
    // Every second copy is a hint on the fallback, which now leaves the ring.
    const removing = cluster.remove(fallback);
    await waitFor('the fallback to be leaving', async () => cluster.ring.epoch > 1, 10_000);
    paused.child.kill('SIGCONT');
    await removing;
  } finally {
    paused.child.kill('SIGCONT');
  }
  expect(acked.size).toBe(keys.length);
  await cluster.stopNode(primary, 'SIGKILL');
  const lost: string[] = [];
  for (const [key, value] of acked) {
    const response = await fetch(`${cluster.url(second)}/v1/keys/${key}`);
    if (response.status !== 200 || (await response.text()) !== value) lost.push(key);
  }
  expect(lost).toEqual([]);
});
