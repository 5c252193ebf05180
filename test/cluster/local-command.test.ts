/**
 * `ringcache local`, the launcher `npm start` runs, as a real process: it starts the nodes,
 * publishes the ring and prints a status line; with a client token in its environment (which
 * the nodes inherit) its own calls carry it, so the nodes show as active, not down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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
