/** The ring-aware client library against real node processes. */
import { RingcacheClient, RingcacheError } from '../../node/src/client/index.js';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { startNodeProcess, killAllNodes, waitFor } from '../support/node-process.js';
import { createServer, type Server, type Socket } from 'node:net';
import { buildRing, ownersForWrite } from '../../node/src/ring/index.js';

let cluster: LocalCluster | undefined;
const clients: RingcacheClient[] = [];
afterEach(async () => {
  clients.splice(0).forEach((c) => c.close());
  await cluster?.stop();
  cluster = undefined;
  await killAllNodes();
});

const TOKEN = 'client-token-0123456789';

async function startCluster(nodes = 3): Promise<LocalCluster> {
  cluster = new LocalCluster({
    replicationFactor: 2,
    token: TOKEN,
    nodeArgs: ['--replica-timeout-ms', '500'],
  });
  await cluster.start(nodes);
  return cluster;
}

function client(endpoints: string[], extra: Partial<ConstructorParameters<typeof RingcacheClient>[0]> = {}) {
  const c = new RingcacheClient({ endpoints, token: TOKEN, timeoutMs: 3000, ...extra });
  clients.push(c);
  return c;
}

async function forwardedTotal(c: LocalCluster): Promise<number> {
  let total = 0;
  for (const id of c.nodes.keys()) {
    const status = (await (
      await fetch(`${c.url(id)}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { cluster: { forwarded: number } };
    total += status.cluster.forwarded;
  }
  return total;
}

test('round trips: set, get with content type, TTL and ETag, compare-and-set, create-only, delete', async () => {
  const c = await startCluster();
  const rc = client([c.nodes.values().next().value!.address]);
  expect(await rc.set('greeting', 'hello', { contentType: 'text/plain', ttlMs: 60_000 })).toMatchObject({
    created: true,
  });
  const entry = await rc.get('greeting');
  expect(entry?.value.toString()).toBe('hello');
  expect(entry?.contentType).toBe('text/plain');
  expect(entry?.ttlMs).toBeGreaterThan(50_000);
  const replaced = await rc.set('greeting', 'hi', { ifMatch: entry!.etag });
  expect(replaced.created).toBe(false);
  const stale = await rc.set('greeting', 'late', { ifMatch: entry!.etag }).catch((err: unknown) => err);
  expect(stale).toBeInstanceOf(RingcacheError);
  expect((stale as RingcacheError).code).toBe('PRECONDITION_FAILED');
  await expect(rc.set('greeting', 'again', { ifAbsent: true })).rejects.toMatchObject({
    code: 'PRECONDITION_FAILED',
  });
  expect(await rc.delete('greeting')).toBe(true);
  expect(await rc.delete('greeting')).toBe(false);
  expect(await rc.get('greeting')).toBeUndefined();
  expect(rc.epoch).toBe(c.ring.epoch);
});

test('requests go straight to the primary: no node forwards anything', async () => {
  const c = await startCluster();
  const rc = client([...c.nodes.values()].map((n) => n.address));
  for (let i = 0; i < 60; i++) await rc.set(`direct-${i}`, `v${i}`);
  for (let i = 0; i < 60; i++) expect((await rc.get(`direct-${i}`))?.value.toString()).toBe(`v${i}`);
  expect(await forwardedTotal(c)).toBe(0);
  // The same traffic through one fixed node is forwarded for every key that node is not primary of.
  for (let i = 0; i < 30; i++) {
    await fetch(`${c.url([...c.nodes.keys()][0])}/v1/keys/plain-${i}`, {
      method: 'PUT',
      body: 'x',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
  }
  expect(await forwardedTotal(c)).toBeGreaterThan(0);
});

test('the client follows a ring change and retries on the next owner when a node dies', async () => {
  const c = await startCluster();
  const rc = client([...c.nodes.values()].map((n) => n.address));
  await rc.set('before', '1');
  const epoch = rc.epoch;
  await c.add();
  await rc.set('after-add', '2'); // answered with the newer epoch: the client refreshes
  await waitFor('the client to learn the new ring', async () => {
    await rc.get('after-add');
    return rc.epoch > epoch;
  });
  const victim = [...c.nodes.keys()][1];
  await c.stopNode(victim, 'SIGKILL');
  for (let i = 0; i < 40; i++) await rc.set(`survivor-${i}`, `v${i}`);
  for (let i = 0; i < 40; i++) expect((await rc.get(`survivor-${i}`))?.value.toString()).toBe(`v${i}`);
  expect((await rc.get('before'))?.value.toString()).toBe('1');
});

test("a single node without a ring; errors carry the node's codes", async () => {
  const node = await startNodeProcess(['--token', TOKEN]);
  const address = `127.0.0.1:${node.port}`;
  const rc = client([address]);
  await rc.set('solo', 'x');
  expect((await rc.get('solo'))?.value.toString()).toBe('x');
  expect(rc.epoch).toBe(0);
  await expect(rc.get('')).rejects.toThrow('a key must be a non-empty string');
  await expect(rc.get('k'.repeat(251))).rejects.toThrow('key of 251 bytes exceeds the limit of 250 bytes');
  const wrong = new RingcacheClient({ endpoints: [address], token: 'not-the-token-at-all' });
  clients.push(wrong);
  await expect(wrong.get('solo')).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  const nobody = new RingcacheClient({ endpoints: ['127.0.0.1:1'], retries: 1, timeoutMs: 500 });
  clients.push(nobody);
  await expect(nobody.get('k')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
});

/** Answers `GET /v1/ring` counted by the node's own metrics (404s of unrouted paths). */
async function ringRequests(address: string): Promise<number> {
  const text = await (await fetch(`http://${address}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith('ringcache_http_request_duration_seconds_count{operation="other",status="404"}'),
    );
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('without a ring the client asks for one once, not before every request', async () => {
  const node = await startNodeProcess(['--token', TOKEN]);
  const address = `127.0.0.1:${node.port}`;
  const rc = client([address]);
  for (let i = 0; i < 20; i++) await rc.set(`solo-${i}`, 'x');
  for (let i = 0; i < 20; i++) expect((await rc.get(`solo-${i}`))?.value.toString()).toBe('x');
  expect(await ringRequests(address)).toBe(1);
});

test('bad keys and content types are refused before sending, with the codes the node uses', async () => {
  const rc = client(['127.0.0.1:1']);
  await expect(rc.get('\ud800')).rejects.toMatchObject({
    code: 'INVALID_KEY',
    message: 'a key must be well-formed Unicode (no lone surrogate)',
  });
  await expect(rc.get('k'.repeat(251))).rejects.toMatchObject({ code: 'KEY_TOO_LONG' });
  await expect(rc.set('k', 'v', { contentType: 'a\nb' })).rejects.toMatchObject({
    code: 'INVALID_OPTION',
    message: 'contentType must be 1 to 255 characters of header text, got "a\\nb"',
  });
});

test('the time limit counts the wait for a free connection behind a node that does not answer', async () => {
  // A node that accepts connections and never answers (as a hung process does).
  const sockets: Socket[] = [];
  const silent: Server = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = silent.address() as { port: number };
    const rc = client([`127.0.0.1:${port}`], { timeoutMs: 300, retries: 0, maxSockets: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => rc.get(`k${i}`)));
    const messages = outcomes.map((o) =>
      o.status === 'rejected' ? String((o.reason as Error).message) : 'answered',
    );
    // One request holds the only socket; the others time out queued behind it instead of
    // each waiting its turn for the socket and then a whole limit of its own.
    expect(messages.filter((m) => m.includes('no answer within 300 ms'))).toHaveLength(1);
    expect(messages.filter((m) => m.includes('no free connection within 300 ms'))).toHaveLength(3);
  } finally {
    sockets.forEach((s) => s.destroy());
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('a conditional write whose first attempt may have been applied is not retried (its retry would see itself)', async () => {
  const c = await startCluster();
  const rc = client([...c.nodes.values()].map((n) => n.address));
  await rc.refreshRing();
  const ring = buildRing(c.ring);
  const key = 'create-once';
  const [, second] = ownersForWrite(ring, key);
  await c.stopNode(second, 'SIGKILL');
  // At "all" the primary applies the write, then answers 503: the second owner is gone.
  const attempt = rc.set(key, 'mine', { ifAbsent: true, consistency: 'all' });
  await expect(attempt).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
  // A plain write is still retried and lands.
  await expect(rc.set('plain', 'v', { consistency: 'quorum' })).resolves.toMatchObject({ created: true });
});

test('with default time limits a hung primary does not stop its keys: the next owner answers', async () => {
  const c = await startCluster();
  const rc = client(
    [...c.nodes.values()].map((n) => n.address),
    { timeoutMs: undefined },
  );
  await rc.set('hung-primary', 'v1');
  const ring = buildRing(c.ring);
  const [primary] = ownersForWrite(ring, 'hung-primary');
  const paused = c.nodes.get(primary)!;
  paused.child.kill('SIGSTOP');
  try {
    expect((await rc.get('hung-primary'))?.value.toString()).toBe('v1');
    await rc.set('hung-primary', 'v2');
    expect((await rc.get('hung-primary'))?.value.toString()).toBe('v2');
  } finally {
    paused.child.kill('SIGCONT');
  }
}, 60_000);

test('a forwarding header sent by a client is not honoured (only a node with the peer credential may send it); a deadline is', async () => {
  const c = await startCluster();
  const ring = buildRing(c.ring);
  const key = 'forged';
  const owners = ownersForWrite(ring, key);
  const outsider = [...c.nodes.keys()].find((id) => !owners.includes(id))!;
  const auth = { authorization: `Bearer ${TOKEN}` };
  // A deadline in the past: the node refuses the request as one its sender gave up on, directly
  // or through a node that forwards it.
  for (const via of [owners[0], outsider]) {
    const late = await fetch(`${c.url(via)}/v1/keys/${key}`, {
      method: 'PUT',
      headers: { ...auth, 'x-ringcache-deadline': String(Date.now() - 1) },
      body: 'late',
    });
    expect([via, late.status, ((await late.json()) as { error: { message: string } }).error.message]).toEqual(
      [
        via,
        503,
        'the request reached this node after its deadline (X-Ringcache-Deadline): its sender gave up on it',
      ],
    );
  }
  const bad = await fetch(`${c.url(owners[0])}/v1/keys/${key}`, {
    method: 'PUT',
    headers: { ...auth, 'x-ringcache-deadline': 'soon' },
    body: 'v1',
  });
  expect(bad.status).toBe(400);
  expect(
    (await fetch(`${c.url(owners[0])}/v1/keys/${key}`, { method: 'PUT', headers: auth, body: 'v1' })).status,
  ).toBe(201);
  // "Forwarded" to a node that does not own the key would have it refuse instead of forwarding.
  const forged = await fetch(`${c.url(outsider)}/v1/keys/${key}`, {
    method: 'PUT',
    headers: { ...auth, 'x-ringcache-forwarded': 'someone' },
    body: 'v2',
  });
  expect(forged.status).toBe(204);
  expect(await (await fetch(`${c.url(owners[0])}/v1/keys/${key}`, { headers: auth })).text()).toBe('v2');
});

test('a write the client retried elsewhere after a timeout does not run later on the paused primary, over the writes that followed', async () => {
  const c = await startCluster();
  const ring = buildRing(c.ring);
  const ids = [...c.nodes.keys()].sort();
  const keys = Array.from({ length: 400 }, (_, i) => `retried-${i}`)
    .filter((key) => ownersForWrite(ring, key)[0] === ids[0])
    .slice(0, 8);
  // Room for the retry: the node it reaches first waits out the paused primary (3 replica timeouts).
  const rc = client([c.nodes.get(ids[1])!.address], { timeoutMs: 5000, retries: 2 });
  await rc.refreshRing();
  const primary = c.nodes.get(ids[0])!;
  primary.child.kill('SIGSTOP');
  try {
    // Each first attempt times out, queued on the paused primary's socket; the retry lands.
    for (const result of await Promise.allSettled(keys.map((key) => rc.set(key, 'v1'))))
      expect(result.status).toBe('fulfilled');
    await Promise.all(keys.map((key) => rc.set(key, 'v2')));
  } finally {
    primary.child.kill('SIGCONT');
  }
  // The primary resumes with the v1 attempts waiting on its socket: it must refuse them (their
  // deadline passed), and take v2 from the hints the other owner's side kept for it.
  const auth = { authorization: `Bearer ${TOKEN}` };
  await waitFor(
    'the resumed primary to hold v2 of every key',
    async () => {
      for (const key of keys) {
        const copy = await fetch(`${c.url(ids[0])}/v1/keys/${key}`, {
          headers: { ...auth, 'x-consistency': 'one' },
        });
        if ((await copy.text()) !== 'v2') return false;
      }
      return true;
    },
    20_000,
  );
  for (const key of keys) expect([key, (await rc.get(key))?.value.toString()]).toEqual([key, 'v2']);
}, 90_000);

test("a client whose clock is well behind the nodes' still gets through: its deadlines go on their clock", async () => {
  const c = await startCluster();
  const behind = client(
    [...c.nodes.values()].map((n) => n.address),
    {
      timeoutMs: 2000,
      now: () => Date.now() - 60_000,
    },
  );
  // The first attempt's deadline is a minute in the nodes' past; its refusal carries the
  // node's time, and the retry's deadline is put right.
  await expect(behind.set('skewed', 'v1')).resolves.toMatchObject({ created: true });
  for (let i = 0; i < 5; i++) {
    await expect(behind.set(`skewed-${i}`, 'v')).resolves.toMatchObject({ created: true });
    expect((await behind.get(`skewed-${i}`))?.value.toString()).toBe('v');
  }
});

test('a value over the nodes’ limit is VALUE_TOO_LARGE at any size, and leaves no node suspected', async () => {
  const c = await startCluster();
  const rc = client([...c.nodes.values()].map((n) => n.address));
  // Large enough that, without asking first, the node's 413 and close would break the upload.
  for (const mib of [2, 50]) {
    const refused = await rc.set(`big-${mib}`, Buffer.alloc(mib * 1024 * 1024)).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(RingcacheError);
    expect((refused as RingcacheError).code).toBe('VALUE_TOO_LARGE');
  }
  // The owners stay first in line: no request goes through a non-owner afterwards.
  const before = await forwardedTotal(c);
  for (let i = 0; i < 30; i++) await rc.set(`k${i}`, 'v');
  expect(await forwardedTotal(c)).toBe(before);
  // Under the limit, a large value still goes through (sent once the node invites it).
  expect(await rc.set('fits', Buffer.alloc(512 * 1024, 7))).toMatchObject({ created: true });
  expect((await rc.get('fits'))?.value.equals(Buffer.alloc(512 * 1024, 7))).toBe(true);
});

test('when every owner fails, the error is what a node that answered said, not a later connection refused', async () => {
  const c = await startCluster();
  const ids = [...c.nodes.keys()];
  const rc = client(
    ids.map((id) => c.nodes.get(id)!.address),
    { retries: 2 },
  );
  await rc.set('warm', 'v');
  // Two of three nodes gone: at RF 2 some keys have both owners down, and the one live node
  // answers them 503 UNAVAILABLE with its reason.
  await c.stopNode(ids[1], 'SIGKILL');
  await c.stopNode(ids[2], 'SIGKILL');
  const errors: RingcacheError[] = [];
  for (let i = 0; i < 12; i++) {
    const err = await rc.set(`down-${i}`, 'v').catch((e: unknown) => e);
    if (err instanceof RingcacheError) errors.push(err);
  }
  expect(errors.length).toBeGreaterThan(0);
  for (const err of errors) {
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).not.toMatch(/no node answered/);
  }
});
