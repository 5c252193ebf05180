/**
 * `ringcache local`, the launcher `npm start` runs, as a real process: it starts the nodes,
 * publishes the ring and prints a status line; with a client token in its environment (which
 * the nodes inherit) its own calls carry it, so the nodes show as active, not down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createInterface } from 'node:readline';
import { CLI, waitFor } from '../support/node-process.js';

let launcher: ChildProcess | undefined;
afterEach(async () => {
  if (launcher !== undefined && launcher.exitCode === null) {
    const exited = new Promise((resolve) => launcher!.once('exit', resolve));
    launcher.kill('SIGINT');
    await exited;
  }
  launcher = undefined;
});

test('with RINGCACHE_TOKEN set, the launcher sees its nodes active and stops them all on Ctrl-C', async () => {
  launcher = spawn(process.execPath, [CLI, 'local', '--nodes', '2', '--base-port', '0'], {
    env: { ...process.env, RINGCACHE_TOKEN: 'launcher-token-0123456789' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: launcher.stdout! }).on('line', (line) => lines.push(line));
  await waitFor('a status line', () => lines.some((line) => line.startsWith('epoch 1 |')), 30_000);
  launcher.stdin!.write('status\n');
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

  const exited = new Promise<number | null>((resolve) => launcher!.once('exit', resolve));
  launcher.kill('SIGINT');
  expect(await exited).toBe(0);
  for (const line of endpoints) {
    const url = line.trim().split(/\s+/)[1];
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  }
});

test('remove of an id not in the ring is refused, and no epoch is published', async () => {
  launcher = spawn(process.execPath, [CLI, 'local', '--nodes', '2', '--base-port', '0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  createInterface({ input: launcher.stdout! }).on('line', (line) => lines.push(line));
  await waitFor('a status line', () => lines.some((line) => line.startsWith('epoch 1 |')), 30_000);
  launcher.stdin!.write('remove nosuch\n');
  await waitFor('the answer to remove', () => lines.some((line) => line.startsWith('error:')), 10_000);
  expect(lines.find((line) => line.startsWith('error:'))).toMatch(
    /^error: no member nosuch in the ring \(members: local-\d, local-\d\)$/,
  );
  launcher.stdin!.write('status\n');
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
