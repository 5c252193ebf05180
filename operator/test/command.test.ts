/**
 * `ringcache operator` as a process (the built CLI), where no API server is needed: its help,
 * its refusals, and SIGTERM while it cannot reach any API server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../test/support/node-process.js';

const run = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, 'operator', ...args], { encoding: 'utf8' });

test('--help lists the options and exits 0', () => {
  const r = run('--help');
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^usage: ringcache operator \[options\]/);
  for (const flag of [
    '--namespace',
    '--lease-name',
    '--lease-namespace',
    '--identity',
    '--metrics-port',
    '--lease-duration-ms',
  ]) {
    expect(r.stdout).toContain(`  ${flag} <value>`);
  }
});

test('bad options: every problem named, exit 2', () => {
  const r = run('--bogus', '--retry-period-ms=20000');
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    'ringcache operator: invalid configuration:\n  - unknown option "--bogus" (see --help)\n',
  );
  const timing = run('--retry-period-ms=20000');
  expect(timing.stderr).toBe(
    'ringcache operator: invalid configuration:\n  - --retry-period-ms (20000) must be less than --renew-deadline-ms (10000)\n',
  );
});

test('a kubeconfig that cannot be read: exit 2', () => {
  const r = run('--kubeconfig=/nonexistent/kubeconfig', '--metrics-port=0');
  expect(r.status).toBe(2);
  expect(r.stderr).toBe(
    "ringcache operator: cannot use the kubeconfig /nonexistent/kubeconfig: ENOENT: no such file or directory, open '/nonexistent/kubeconfig'\n",
  );
});

test('SIGTERM while no API server answers: JSON logs, exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringcache-operator-cmd-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    // Port 9 (discard) on loopback: nothing listens, every call is refused at once.
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          { name: 'c', cluster: { server: 'https://127.0.0.1:9', 'insecure-skip-tls-verify': true } },
        ],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const child = spawn(
      process.execPath,
      [
        CLI,
        'operator',
        `--kubeconfig=${kubeconfig}`,
        '--metrics-host=127.0.0.1',
        '--metrics-port=0',
        '--identity=op-test',
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exit = once(child, 'exit');
    const deadline = Date.now() + 30_000;
    while (!out.includes('"msg":"lease round failed"')) {
      if (Date.now() > deadline) throw new Error(`no failed lease round logged; output:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGTERM');
    const [code] = await exit;
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; identity: string; level: string });
    expect(lines.every((l) => l.identity === 'op-test')).toBe(true);
    expect(lines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['operator started', 'lease round failed', 'stopping', 'stopped']),
    );
    expect(lines.find((l) => l.msg === 'lease round failed')?.level).toBe('warn');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
