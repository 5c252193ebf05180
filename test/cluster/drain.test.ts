/**
 * `ringcache drain`, the preStop backstop, on real processes at RF 1 (where a node's entries
 * have no other copy): after a drain, a node that comes back empty gets its entries back, and
 * a node that never comes back leaves none behind once a ring without it is published.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { Writer } from '../support/cluster-writer.js';
import { waitFor } from '../support/node-process.js';

const CLI = fileURLToPath(new URL('../../bin/ringcache.js', import.meta.url));
let cluster: LocalCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
});

/** Runs `ringcache drain` with the environment a pod's preStop hook would have. */
function drain(port: number, peerToken: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'drain'], {
      env: {
        ...process.env,
        RINGCACHE_PORT: String(port),
        RINGCACHE_HOST: '0.0.0.0',
        RINGCACHE_PEER_TOKEN: peerToken,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

async function startWithKeys(): Promise<{ ids: string[]; writer: Writer }> {
  cluster = new LocalCluster({ replicationFactor: 1, nodeArgs: ['--replica-timeout-ms', '1000'] });
  await cluster.start(3);
  const ids = [...cluster.nodes.keys()].sort();
  const writer = new Writer(cluster, () => ids, 90, { consistency: 'one' });
  await writer.write(90);
  expect(writer.failures).toBe(0);
  return { ids, writer };
}

test('drain, then restart empty: the node gets its entries back from the hints it handed over', async () => {
  const { ids, writer } = await startWithKeys();
  const victim = ids[1];
  const result = await drain(cluster!.nodes.get(victim)!.port, cluster!.peerToken);
  expect(result.code).toBe(0);
  const report = JSON.parse(result.out) as { hints: number; copies: number; failed: number };
  expect(report.failed).toBe(0);
  expect(report.hints).toBeGreaterThan(10); // RF 1: every entry it owns went out as a hint
  await cluster!.restart(victim); // kill -9; same identity and port, empty
  await waitFor(
    'every acknowledged write to read back',
    async () => (await writer.lost(ids)).length === 0,
    20_000,
  );
});

test('drain, then the node never returns: once a ring without it arrives its entries live on the owners', async () => {
  const { ids, writer } = await startWithKeys();
  const victim = ids[0];
  expect((await drain(cluster!.nodes.get(victim)!.port, cluster!.peerToken)).code).toBe(0);
  await cluster!.stopNode(victim, 'SIGKILL');
  await cluster!.publish(cluster!.ring.members.filter((m) => m.id !== victim));
  const rest = ids.filter((id) => id !== victim);
  await waitFor(
    'every acknowledged write to read back',
    async () => (await writer.lost(rest)).length === 0,
    20_000,
  );
});

test('drain explains what it cannot reach', async () => {
  const result = await drain(1, 'a-peer-token-of-some-length');
  expect(result.code).toBe(1);
  expect(result.out).toContain('ringcache drain: http://127.0.0.1:1/v1/internal/drain:');
});
