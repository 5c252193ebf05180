/** The ring-aware client library against real node processes. */
import { RingcacheClient, RingcacheError } from '../../node/src/client/index.js';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { startNodeProcess, killAllNodes, waitFor } from '../support/node-process.js';

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
