/**
 * The `helm test` pod's script, taken from the rendered chart and run as the pod would run it
 * (node -e, its env) against a real cache node with auth on: no kubelet needed to check it.
 */
import { execFile } from 'node:child_process';
import { killAllNodes, startNodeProcess, type NodeProcess } from '../support/node-process.js';
import { chartDir, find, makeHelm, parseManifests, type Helm, type Manifest } from './support/helm.js';

const TOKEN = 'helm-test-token-0123456789';
let helm: Helm;
let node: NodeProcess;
let pod: Manifest;

beforeAll(async () => {
  helm = await makeHelm();
  node = await startNodeProcess([], { RINGCACHE_TOKEN: TOKEN });
  const objs = parseManifests(await helm.ok(['template', 'rel', chartDir, '--set', 'cacheCluster.enabled=true']));
  pod = find(objs, 'Pod');
});

afterAll(async () => {
  await killAllNodes();
  await helm?.cleanup();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the container's command and args with its env, the Service address and token replaced. */
function runHook(env: Record<string, string>): Promise<Run> {
  const c = pod.spec.containers[0];
  expect(c.command).toEqual(['node', '-e']);
  const podEnv = Object.fromEntries(
    (c.env as Manifest[]).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [c.command[1], ...c.args],
      { env: { PATH: process.env.PATH, ...podEnv, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }),
    );
  });
}

test('the helm test script PUTs and GETs a key with the token', async () => {
  const r = await runHook({ CLUSTER_HOST: `127.0.0.1:${node.port}`, RINGCACHE_TOKEN: TOKEN });
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(new RegExp(`PUT and GET helm-test-\\d+ on 127\\.0\\.0\\.1:${node.port}: ok`));
  expect(r.code).toBe(0);
});

test('the helm test script fails, saying why, when the node refuses the token', async () => {
  const r = await runHook({ CLUSTER_HOST: `127.0.0.1:${node.port}`, RINGCACHE_TOKEN: 'wrong', TIMEOUT_SECONDS: '1' });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/failed: PUT helm-test-\d+: 401/);
});
