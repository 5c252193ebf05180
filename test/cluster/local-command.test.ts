/**
 * `ringcache local`, the launcher `npm start` runs, as a real process: it starts the nodes,
 * publishes the ring and prints a status line; with a client token in its environment (which
 * the nodes inherit) its own calls carry it, so the nodes show as active, not down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { exitOf, LocalCluster } from '../../node/src/local/local-cluster.js';
import { CLI, waitFor } from '../support/node-process.js';

let launcher: ChildProcess | undefined;
afterEach(async () => {
  if (launcher !== undefined && launcher.exitCode === null && launcher.signalCode === null) {
    const exited = new Promise((resolve) => launcher!.once('exit', resolve));
    launcher.kill('SIGINT');
    await exited;
  }
  launcher = undefined;
});

/** Starts the launcher with two nodes on free ports; answers its output lines once the ring is up. */
async function startLauncher(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [CLI, 'local', '--nodes', '2', '--base-port', '0'], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  launcher = child; // stopped by afterEach
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  await waitFor('a status line', () => lines.some((line) => line.startsWith('epoch 1 |')), 30_000);
  return { child, lines };
}

test('with RINGCACHE_TOKEN set, the launcher sees its nodes active and stops them all on Ctrl-C', async () => {
  const { child, lines } = await startLauncher({
    ...process.env,
    RINGCACHE_TOKEN: 'launcher-token-0123456789',
  });
  child.stdin!.write('status\n');
  await waitFor(
    'the answer to status',
    () => lines.filter((line) => line.startsWith('epoch 1 |')).length >= 2,
    10_000,
  );
  const statusLines = lines.filter((line) => line.startsWith('epoch 1 |'));
  expect(statusLines.at(-1)).toMatch(/^epoch 1 \| local-\d:active:0keys local-\d:active:0keys$/);
  const endpoints = lines.filter((line) => /^ {2}local-\d {2}http:\/\/127\.0\.0\.1:\d+$/.test(line));
  expect(endpoints).toHaveLength(2);
  // Picked free ports (not 0 + i).
  for (const line of endpoints) expect(Number(line.split(':').pop())).toBeGreaterThan(1024);

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const line of endpoints) {
    const url = line.trim().split(/\s+/)[1];
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }
});

test('remove of an id not in the ring is refused, and no epoch is published', async () => {
  const { child, lines } = await startLauncher();
  child.stdin!.write('remove nosuch\n');
  await waitFor('the answer to remove', () => lines.some((line) => line.startsWith('error:')), 10_000);
  expect(lines.find((line) => line.startsWith('error:'))).toMatch(
    /^error: no member nosuch in the ring \(members: local-\d, local-\d\)$/,
  );
  child.stdin!.write('status\n');
  await waitFor(
    'the answer to status',
    () => lines.filter((l) => l.startsWith('epoch ')).length >= 2,
    10_000,
  );
  expect(
    lines.filter((line) => line.startsWith('epoch ')).every((line) => line.startsWith('epoch 1 |')),
  ).toBe(true);
  expect(lines).not.toContain('removed nosuch');
});

/** Three consecutive free ports on 127.0.0.1, the last of them held by a listener of this test. */
async function portsWithLastTaken(): Promise<{ base: number; holder: Server }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const probes: Server[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const server = createServer();
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(base + i, '127.0.0.1', resolve);
        });
        probes.push(server);
      }
    } catch {
      await Promise.all(probes.map((p) => new Promise((r) => p.close(r))));
      continue;
    }
    await Promise.all(probes.slice(0, 2).map((p) => new Promise((r) => p.close(r))));
    return { base, holder: probes[2] };
  }
  throw new Error('no three consecutive free ports found');
}

test('a node that cannot start: the launcher says why, stops the nodes that did start and exits 1', async () => {
  const { base, holder } = await portsWithLastTaken();
  try {
    launcher = spawn(process.execPath, [CLI, 'local', '--nodes', '3', '--base-port', String(base)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    launcher.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => launcher!.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain(
      `ringcache local: node local-2 (port ${base + 2}) exited with 1 before listening`,
    );
    expect(stderr).toContain('EADDRINUSE');
    // The two nodes that did start are gone: their ports are free again.
    for (const port of [base, base + 1]) {
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    }
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test('the nodes stop with their launcher, even when it is killed with SIGKILL', async () => {
  const { child, lines } = await startLauncher();
  const urls = lines
    .filter((line) => /^ {2}local-\d {2}http:/.test(line))
    .map((line) => line.trim().split(/\s+/)[1]);
  expect(urls).toHaveLength(2);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  const down = async (url: string) => {
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      return false;
    } catch {
      return true;
    }
  };
  for (const url of urls) await waitFor(`${url} to stop`, () => down(url), 20_000);
});

test('a member whose process died: add and remove refuse at once naming it; restart brings it back', async () => {
  const cluster = new LocalCluster({ replicationFactor: 2 });
  try {
    await cluster.start(3);
    cluster.nodes.get('local-1')!.child.kill('SIGKILL');
    await exitOf(cluster.nodes.get('local-1')!.child);
    // Either change would wait for ever on the dead member's part of the hand-off.
    await expect(cluster.add(20_000)).rejects.toThrow(
      'local-1 not running: restart it (restart <id>) before adding a node',
    );
    await expect(cluster.remove('local-0', 20_000)).rejects.toThrow(
      'local-1 not running: restart it (restart <id>) before removing local-0',
    );
    expect(cluster.ring.epoch).toBe(1);
    await cluster.restart('local-1');
    await waitFor('local-1 back at the current epoch', () => cluster.handedOff(), 20_000);
    const added = await cluster.add(20_000);
    expect(cluster.ring.members.find((m) => m.id === added)?.state).toBe('active');
    await expect(cluster.restart('nosuch')).rejects.toThrow('no member nosuch in the ring');
  } finally {
    await cluster.stop();
  }
});
