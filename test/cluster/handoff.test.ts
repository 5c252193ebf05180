/** Hand-off transport: checksummed batches, and progress in /v1/status and /metrics. */
import { encodeEntries, ENTRIES_CONTENT_TYPE } from '../../node/src/cluster/entry-frames.js';
import { checksumOf } from '../../node/src/cluster/peers.js';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { heldBy } from '../support/cluster-writer.js';

let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
});

test('a batch whose checksum does not match is refused whole, with a clear error and a log line', async () => {
  const logs: string[] = [];
  cluster = new LocalCluster({ replicationFactor: 2, onLog: (_id, line) => logs.push(line) });
  await cluster.start(2);
  const [id] = [...cluster.nodes.keys()];
  const entry = (key: string) => ({
    key,
    version: 1_000_000 * 1024,
    expiresAt: 0,
    contentType: 'text/plain',
    value: Buffer.from('payload'),
    tombstone: false,
  });
  const body = encodeEntries([entry('sum-a'), entry('sum-b')]);
  const corrupted = Buffer.from(body);
  corrupted[corrupted.length - 1] ^= 0xff; // one flipped byte in the last value
  const post = (payload: Buffer, checksum: string) =>
    fetch(`${cluster!.url(id)}/v1/internal/apply`, {
      method: 'POST',
      body: payload,
      headers: {
        authorization: `Bearer ${cluster!.peerToken}`,
        'content-type': ENTRIES_CONTENT_TYPE,
        'x-ringcache-checksum': checksum,
      },
    });
  const refused = await post(corrupted, checksumOf(body));
  expect(refused.status).toBe(400);
  expect(await refused.json()).toEqual({
    error: {
      code: 'INVALID_BODY',
      message: 'the batch does not match its x-ringcache-checksum; nothing was applied',
    },
  });
  expect(await heldBy(cluster, id, 'sum-a')).toBeUndefined();
  expect(logs.some((line) => line.includes('"msg":"refused a batch whose checksum does not match"'))).toBe(
    true,
  );
  const accepted = await post(body, checksumOf(body));
  expect(accepted.status).toBe(200);
  expect(await accepted.json()).toEqual({ applied: 2 });
  expect((await heldBy(cluster, id, 'sum-b'))?.toString()).toContain('payload');
});

test('the apply route takes only peers, with entries, by POST', async () => {
  cluster = new LocalCluster({ replicationFactor: 2 });
  await cluster.start(1);
  const url = `${cluster.url([...cluster.nodes.keys()][0])}/v1/internal/apply`;
  const peer = { authorization: `Bearer ${cluster.peerToken}` };
  const body = encodeEntries([]);
  const unauthorized = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': ENTRIES_CONTENT_TYPE },
  });
  expect(unauthorized.status).toBe(401);
  expect(await unauthorized.json()).toEqual({
    error: { code: 'UNAUTHORIZED', message: 'this node requires Authorization: Bearer <token>' },
  });
  const wrongType = await fetch(url, {
    method: 'POST',
    body,
    headers: { ...peer, 'content-type': 'text/plain' },
  });
  expect(wrongType.status).toBe(400);
  expect(await wrongType.json()).toEqual({
    error: { code: 'INVALID_HEADER', message: `Content-Type must be ${ENTRIES_CONTENT_TYPE}` },
  });
  const garbage = await fetch(url, {
    method: 'POST',
    body: Buffer.from('not frames'),
    headers: { ...peer, 'content-type': ENTRIES_CONTENT_TYPE },
  });
  expect(garbage.status).toBe(400);
  expect(((await garbage.json()) as { error: { code: string } }).error.code).toBe('INVALID_BODY');
  const get = await fetch(url, { headers: peer });
  expect(get.status).toBe(405);
  expect(get.headers.get('allow')).toBe('POST');
  expect(await get.json()).toEqual({
    error: { code: 'METHOD_NOT_ALLOWED', message: 'method GET is not allowed on /v1/internal/apply' },
  });
});

test('a joining node receives the share with TTL kept; progress shows in status and metrics', async () => {
  cluster = new LocalCluster({ replicationFactor: 2 });
  await cluster.start(1);
  const [first] = [...cluster.nodes.keys()];
  for (let i = 0; i < 300; i++) {
    const response = await fetch(`${cluster.url(first)}/v1/keys/share-${i}`, {
      method: 'PUT',
      body: 'x'.repeat(100),
      headers: i === 0 ? { 'x-ttl-ms': '600000' } : {},
    });
    expect(response.status).toBe(201);
  }
  const joiner = await cluster.add(); // joining until every member has handed off, then active
  const status = (await (await fetch(`${cluster.url(first)}/v1/status`)).json()) as {
    cluster: {
      rebalance: Record<string, number | boolean>;
      rebalanceSent: number;
      rebalanceBytesSent: number;
    };
  };
  // Two epochs: the joiner's share streamed in the first; nothing left to send in the second.
  expect(status.cluster.rebalance).toMatchObject({
    done: true,
    keysTotal: 300,
    keysScanned: 300,
    entriesSent: 0,
  });
  expect(status.cluster.rebalanceSent).toBe(300);
  expect(status.cluster.rebalanceBytesSent).toBeGreaterThanOrEqual(300 * 100);
  const metrics = await (await fetch(`${cluster.url(first)}/metrics`)).text();
  expect(metrics).toMatch(/^ringcache_rebalance_sent_entries_total 300$/m);
  expect(metrics).toMatch(/^ringcache_rebalance_keys 300$/m);
  // On the joiner: the value and its remaining TTL arrived.
  const copy = await fetch(`${cluster.url(joiner)}/v1/keys/share-0`, { headers: { 'x-consistency': 'one' } });
  expect(copy.status).toBe(200);
  expect(Number(copy.headers.get('x-ttl-ms'))).toBeGreaterThan(500_000);
  expect((await heldBy(cluster, joiner, 'share-299'))?.toString()).toContain('x'.repeat(100));
});
