/** Hand-off transport: checksummed batches, and progress in /v1/status and /metrics. */
import { decodeEntries, encodeEntries, ENTRIES_CONTENT_TYPE } from '../../node/src/cluster/entry-frames.js';
import { encodeStreamEntries, ENTRIES_BINARY_CONTENT_TYPE } from '../../node/src/cluster/stream-entries.js';
import { checksumOf } from '../../node/src/cluster/peers.js';
import { crc32 } from '../../node/src/cluster/checksum.js';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import {
  CRC32,
  encodeBatch,
  FrameReader,
  SHA256,
  STREAM_PATH,
  STREAM_PROTOCOL,
  STREAM_PROTOCOL_V1,
} from '../../node/src/cluster/stream-frames.js';
import { once } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { BATCH_CONTENT_TYPE, encodeFrames } from '../../node/src/http/batch-format.js';
import { heldBy } from '../support/cluster-writer.js';
import { waitFor } from '../support/node-process.js';

let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
});

test.each([
  [
    'binary entries with a CRC-32',
    ENTRIES_BINARY_CONTENT_TYPE,
    encodeStreamEntries,
    'x-ringcache-crc32',
    (body: Buffer) => String(crc32(body)),
  ],
  [
    'JSON-headed entries with a SHA-256',
    ENTRIES_CONTENT_TYPE,
    encodeEntries,
    'x-ringcache-checksum',
    checksumOf,
  ],
])(
  'an apply of %s whose checksum does not match is refused whole, with a clear error and a log line',
  async (_name, contentType, encode, checksumHeader, checksum) => {
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
    const body = encode([entry('sum-a'), entry('sum-b')]);
    const corrupted = Buffer.from(body);
    corrupted[corrupted.length - 1] ^= 0xff; // one flipped byte in the last value
    const post = (payload: Buffer, sum: string) =>
      fetch(`${cluster!.url(id)}/v1/internal/apply`, {
        method: 'POST',
        body: payload,
        headers: {
          authorization: `Bearer ${cluster!.peerToken}`,
          'content-type': contentType,
          [checksumHeader]: sum,
        },
      });
    const refused = await post(corrupted, checksum(body));
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: {
        code: 'INVALID_BODY',
        message: `the batch does not match its ${checksumHeader}; nothing was applied`,
      },
    });
    expect(await heldBy(cluster, id, 'sum-a')).toBeUndefined();
    expect(logs.some((line) => line.includes('"msg":"refused a batch whose checksum does not match"'))).toBe(
      true,
    );
    const accepted = await post(body, checksum(body));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ applied: 2 });
    expect((await heldBy(cluster, id, 'sum-b'))?.toString()).toContain('payload');
  },
);

/** Opens a replication stream to `url` as a peer would; the socket, or the refusal. */
async function openStream(url: string, authorization?: string, protocol = STREAM_PROTOCOL) {
  const { hostname, port } = new URL(url);
  const req = request({
    host: hostname,
    port,
    method: 'POST',
    path: STREAM_PATH,
    headers: {
      connection: 'Upgrade',
      upgrade: protocol,
      'x-ringcache-sender': 'tester@127.0.0.1:1',
      ...(authorization ? { authorization } : {}),
    },
  });
  req.end();
  const [event] = await Promise.race([
    once(req, 'upgrade').then((args) => [{ socket: args[1] as Socket }]),
    once(req, 'response').then((args) => [{ refused: args[0] as IncomingMessage }]),
  ]);
  return event as { socket?: Socket; refused?: IncomingMessage };
}

// Version 2 carries binary entries; a sender of version 1 (JSON-headed entries) is still served.
test.each([
  [STREAM_PROTOCOL, encodeStreamEntries, CRC32],
  [STREAM_PROTOCOL_V1, encodeEntries, SHA256],
])(
  'the replication stream (%s) refuses a corrupted batch (nothing applied, a log line) and applies a sound one',
  async (protocol, encode, checksum) => {
    const logs: string[] = [];
    cluster = new LocalCluster({ replicationFactor: 2, onLog: (_id, line) => logs.push(line) });
    await cluster.start(1);
    const [id] = [...cluster.nodes.keys()];
    const refused = (await openStream(cluster.url(id))).refused;
    expect(refused?.statusCode).toBe(401);
    const chunks: Buffer[] = [];
    for await (const chunk of refused!) chunks.push(chunk as Buffer);
    expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'this node requires Authorization: Bearer <token>' },
    });

    const { socket } = await openStream(cluster.url(id), `Bearer ${cluster.peerToken}`, protocol);
    const reader = new FrameReader(0);
    const acks: [number, number][] = [];
    socket!.on('data', (chunk: Buffer) => acks.push(...reader.acks(chunk)));
    const entries = (key: string) =>
      encode([
        {
          key,
          version: 1024,
          expiresAt: 0,
          contentType: 'text/plain',
          value: Buffer.from('payload'),
          tombstone: false,
        },
      ]);
    const corrupted = encodeBatch(1, 1, entries('stream-a'), checksum);
    corrupted[corrupted.length - 1] ^= 0xff; // a flipped byte in the value, after the checksum was taken
    socket!.write(Buffer.concat([corrupted, encodeBatch(2, 1, entries('stream-b'), checksum)]));
    for (let i = 0; i < 200 && acks.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    socket!.destroy();
    expect(acks).toEqual([
      [1, 400],
      [2, 200],
    ]);
    expect(logs.some((line) => line.includes('"msg":"refused a batch whose checksum does not match"'))).toBe(
      true,
    );
    expect(await heldBy(cluster, id, 'stream-a')).toBeUndefined();
    expect((await heldBy(cluster, id, 'stream-b'))?.toString()).toContain('payload');
  },
);

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
    error: {
      code: 'INVALID_HEADER',
      message: `Content-Type must be ${ENTRIES_BINARY_CONTENT_TYPE} or ${ENTRIES_CONTENT_TYPE}`,
    },
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

test('the replica read route answers peers with the entry frame, before express', async () => {
  cluster = new LocalCluster({ replicationFactor: 2 });
  await cluster.start(1);
  const url = cluster.url([...cluster.nodes.keys()][0]);
  const peer = { authorization: `Bearer ${cluster.peerToken}` };
  expect((await fetch(`${url}/v1/keys/caf%C3%A9`, { method: 'PUT', body: 'latte' })).status).toBe(201);
  const read = (key: string, init: RequestInit = {}) =>
    fetch(`${url}/v1/internal/entries/${key}`, { headers: peer, ...init });

  const held = await read('caf%C3%A9');
  expect(held.status).toBe(200);
  expect(held.headers.get('content-type')).toBe(ENTRIES_CONTENT_TYPE);
  const [entry] = decodeEntries(Buffer.from(await held.arrayBuffer()), 1);
  expect({ key: entry.key, value: Buffer.from(entry.value).toString(), tombstone: entry.tombstone }).toEqual({
    key: 'café',
    value: 'latte',
    tombstone: false,
  });
  const head = await read('caf%C3%A9', { method: 'HEAD' });
  expect([head.status, head.headers.get('content-length')]).toEqual([
    200,
    held.headers.get('content-length'),
  ]);

  expect((await fetch(`${url}/v1/keys/caf%C3%A9`, { method: 'DELETE' })).status).toBe(204);
  const [tombstone] = decodeEntries(Buffer.from(await (await read('caf%C3%A9')).arrayBuffer()), 1);
  expect(tombstone.tombstone).toBe(true);

  const missing = await read('nothing');
  expect(missing.status).toBe(404);
  expect(await missing.json()).toEqual({
    error: { code: 'NOT_FOUND', message: 'key "nothing" not held here' },
  });
  const unauthorized = await read('caf%C3%A9', { headers: {} });
  expect(unauthorized.status).toBe(401);
  expect(((await unauthorized.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
  const badKey = await read('%FF');
  expect(badKey.status).toBe(400);
  expect(((await badKey.json()) as { error: { code: string } }).error.code).toBe('INVALID_KEY');
  // Counted under its own operation in the request histogram (express's routes are not).
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(
    /ringcache_http_request_duration_seconds_count\{operation="entry",status="200"\} 3/,
  );
  expect(metrics).toMatch(
    /ringcache_http_request_duration_seconds_count\{operation="entry",status="404"\} 1/,
  );
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

test('the rebalance counters never go down when a newer ring cuts a hand-off short', async () => {
  cluster = new LocalCluster({ replicationFactor: 1, nodeArgs: ['--anti-entropy-interval-ms', '0'] });
  await cluster.start(1);
  const [first] = [...cluster.nodes.keys()];
  // 80 MB to hand off, so the hand-off is still going when the joiner is stopped. Written in
  // batches of 1,000: 40,000 single PUTs took over two minutes on a loaded 2-core host.
  const value = Buffer.alloc(2000, 'x');
  for (let i = 0; i < 40_000; i += 1000) {
    const frames = Array.from({ length: 1000 }, (_, j) => ({ header: { key: `k${i + j}`, size: 0 }, value }));
    const written = await fetch(`${cluster.url(first)}/v1/batch/set`, {
      method: 'POST',
      headers: { 'content-type': BATCH_CONTENT_TYPE },
      body: encodeFrames(frames),
    });
    expect(written.status).toBe(200);
  }
  const sentTotal = async () => {
    const text = await (await fetch(`${cluster!.url(first)}/metrics`)).text();
    return Number(/^ringcache_rebalance_sent_entries_total (\d+)$/m.exec(text)?.[1]);
  };
  const joiner = await cluster.spawnNode();
  await cluster.publish([
    ...cluster.ring.members,
    { id: joiner.id, address: joiner.ringAddress, state: 'joining' },
  ]);
  await waitFor('the hand-off to the joiner to begin', async () => (await sentTotal()) > 0, 20_000);
  joiner.child.kill('SIGSTOP'); // the hand-off now waits on it
  try {
    const before = await sentTotal();
    const status = (await (await fetch(`${cluster.url(first)}/v1/status`)).json()) as {
      cluster: { rebalance: { done: boolean } };
    };
    expect(status.cluster.rebalance.done).toBe(false);
    // A newer ring, to the first node only (the joiner does not answer): its hand-off starts over.
    const ring = {
      ...cluster.ring,
      epoch: cluster.ring.epoch + 1,
      members: cluster.ring.members.map((m) => ({ ...m, state: 'active' })),
    };
    const installed = await fetch(`${cluster.url(first)}/v1/ring`, {
      method: 'PUT',
      body: JSON.stringify(ring),
      headers: { authorization: `Bearer ${cluster.peerToken}`, 'content-type': 'application/json' },
    });
    expect(installed.status).toBe(200);
    // A Prometheus counter must never decrease (a drop reads as a reset and a false spike).
    for (let i = 0; i < 5; i++) expect(await sentTotal()).toBeGreaterThanOrEqual(before);
  } finally {
    joiner.child.kill('SIGCONT');
  }
}, 120_000);
