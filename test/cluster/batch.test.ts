/**
 * Batches on a cluster of real node processes: a batch sent to any node reads and writes the
 * cluster (each entry at its owners, replicated), not the store of the node that took it.
 */
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import {
  BATCH_CONTENT_TYPE,
  decodeFrames,
  encodeFrames,
  type Frame,
} from '../../node/src/http/batch-format.js';
import { buildRing, replicasOf } from '../../node/src/ring/index.js';

let cluster: LocalCluster;
afterEach(async () => {
  await cluster?.stop();
});

const frame = (key: string, value: Uint8Array, extra: Record<string, unknown> = {}): Frame => ({
  header: { key, size: value.length, ...extra },
  value,
});

/** The copy `id` holds itself (peer endpoint): its status and value. */
async function localCopy(id: string, key: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${cluster.url(id)}/v1/internal/entries/${encodeURIComponent(key)}`, {
    headers: { authorization: `Bearer ${cluster.peerToken}` },
  });
  return { status: response.status, text: Buffer.from(await response.arrayBuffer()).toString() };
}

test('a batch sent to any node writes every entry to its owners and reads them back through any node', async () => {
  cluster = new LocalCluster({ replicationFactor: 2, nodeArgs: ['--replica-timeout-ms', '400'] });
  await cluster.start(3);
  const ids = [...cluster.nodes.keys()].sort();
  const ring = buildRing(cluster.ring);
  const via = ids[0];
  const keys = Array.from({ length: 24 }, (_, i) => `batch/${i}`);
  expect(keys.filter((key) => !replicasOf(ring, key).all.includes(via)).length).toBeGreaterThan(0);

  const set = await fetch(`${cluster.url(via)}/v1/batch/set`, {
    method: 'POST',
    headers: { 'content-type': BATCH_CONTENT_TYPE, 'x-consistency': 'all' },
    body: encodeFrames(
      keys.map((key) => frame(key, Buffer.from(`value of ${key}`), { contentType: 'text/plain' })),
    ),
  });
  expect(set.status).toBe(200);
  const results = ((await set.json()) as { results: Array<{ key: string; status: number }> }).results;
  expect(results.map((r) => [r.key, r.status])).toEqual(keys.map((key) => [key, 201]));

  // At "all", every owner acknowledged its copy before the answer; the other node holds none.
  for (const key of keys) {
    const owners = replicasOf(ring, key).all;
    for (const id of ids) {
      const copy = await localCopy(id, key);
      if (owners.includes(id)) {
        expect([id, key, copy.status]).toEqual([id, key, 200]);
        expect(copy.text.endsWith(`value of ${key}`)).toBe(true);
      } else {
        expect([id, key, copy.status]).toEqual([id, key, 404]);
      }
    }
  }

  for (const id of ids) {
    const got = await fetch(`${cluster.url(id)}/v1/batch/get`, {
      method: 'POST',
      body: JSON.stringify({ keys: [...keys, 'batch/absent'] }),
    });
    expect(got.status).toBe(200);
    const frames = decodeFrames(Buffer.from(await got.arrayBuffer()), 100);
    expect(frames.map((f) => [f.header.key, f.header.status, f.header.contentType])).toEqual([
      ...keys.map((key) => [key, 200, 'text/plain']),
      ['batch/absent', 404, undefined],
    ]);
    expect(frames.slice(0, -1).map((f) => Buffer.from(f.value).toString())).toEqual(
      keys.map((key) => `value of ${key}`),
    );
    expect(frames[0].header.etag).toBe(
      (await fetch(`${cluster.url(id)}/v1/keys/batch%2F0`)).headers.get('etag'),
    );
  }

  // Entries of one key run in order, as on a single node: the create-only after the set fails.
  const ordered = await fetch(`${cluster.url(via)}/v1/batch/set`, {
    method: 'POST',
    headers: { 'content-type': BATCH_CONTENT_TYPE },
    body: encodeFrames(
      Array.from({ length: 6 }, (_, i) => [
        frame(`fresh/${i}`, Buffer.from('first')),
        frame(`fresh/${i}`, Buffer.from('second'), { ifNoneMatch: '*' }),
      ]).flat(),
    ),
  });
  const statuses = ((await ordered.json()) as { results: Array<{ status: number }> }).results.map(
    (r) => r.status,
  );
  expect(statuses).toEqual(Array.from({ length: 6 }, () => [201, 412]).flat());

  // Conditions travel with each entry, whichever node coordinates it.
  const conditional = await fetch(`${cluster.url(via)}/v1/batch/set`, {
    method: 'POST',
    headers: { 'content-type': BATCH_CONTENT_TYPE },
    body: encodeFrames(
      keys.slice(0, 4).map((key) => frame(key, Buffer.from('replaced?'), { ifNoneMatch: '*' })),
    ),
  });
  const refused = (
    (await conditional.json()) as { results: Array<{ status: number; error?: { code: string } }> }
  ).results;
  expect(refused.map((r) => [r.status, r.error?.code])).toEqual(Array(4).fill([412, 'PRECONDITION_FAILED']));
  expect(await (await fetch(`${cluster.url(ids[2])}/v1/keys/batch%2F1`)).text()).toBe('value of batch/1');
});
