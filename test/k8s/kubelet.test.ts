/**
 * The stand-in kubelet (support/kubelet.ts) on a real control plane: kube-controller-manager
 * creates the pods of the operator's own StatefulSet, the stand-in runs them as real ringcache
 * processes and reports them, and a scale-in stops a process and removes its pod.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, } from '@kubernetes/client-node';
import { authSecret, memberAddress, statefulSet } from '../../operator/src/builders/index.js';
import { resolveSpec } from '../../operator/src/spec.js';
import { CLI } from '../support/node-process.js';
import { startControlPlane, type ControlPlane } from './controlplane/controlplane.js';
import { httpRequest, waitFor } from './controlplane/http.js';
import { nodeRequest } from './support/key-writer.js';
import { StandInKubelet } from './support/kubelet.js';
import { isPodReady, waitLogged } from './support/waits.js';

let cp: ControlPlane | undefined;
const kubelets: StandInKubelet[] = [];

beforeAll(async () => {
  if (!existsSync(CLI.replace(/bin\/ringcache\.js$/, 'dist/node/src/cli.js'))) {
    throw new Error('the stand-in kubelet runs the built CLI: npm run build first');
  }
  cp = await startControlPlane();
});

afterAll(async () => {
  await Promise.all(kubelets.splice(0).map((k) => k.stop()));
  await cp?.stop();
});

function clients(): { core: CoreV1Api; apps: AppsV1Api } {
  const kc = new KubeConfig();
  kc.loadFromFile(cp!.kubeconfigPath);
  return { core: kc.makeApiClient(CoreV1Api), apps: kc.makeApiClient(AppsV1Api) };
}

async function startKubelet(namespace: string): Promise<StandInKubelet> {
  // Watches end every 2 s, so the events of this test arrive over restarted watches.
  const kubelet = await StandInKubelet.start({ kubeconfigPath: cp!.kubeconfigPath, namespace, watchTimeoutSeconds: 2 });
  kubelets.push(kubelet);
  return kubelet;
}

test("the stand-in runs the operator's StatefulSet pods as ringcache processes, stops one on scale-in and replaces one that died", async () => {
  const { core, apps } = clients();
  const namespace = 'standin';
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const kubelet = await startKubelet(namespace);

  // The objects the operator builds, without the owner reference (no CacheCluster exists here, and
  // the garbage collector would delete what an absent owner owns).
  const cluster = { name: 'rc', namespace, uid: 'none', generation: 1, spec: resolveSpec({ maxMemory: '32Mi' }) };
  const tokens = { token: 'client-token-0123456789', peerToken: 'peer-token-0123456789' };
  const secret = authSecret(cluster, tokens);
  delete secret.metadata!.ownerReferences;
  await core.createNamespacedSecret({ namespace, body: secret });
  const sts = statefulSet(cluster, { replicas: 2 });
  delete sts.metadata!.ownerReferences;
  // The node's own drain makes deletion quick anyway; a short grace bounds a stuck one.
  sts.spec!.template.spec!.terminationGracePeriodSeconds = 15;
  await apps.createNamespacedStatefulSet({ namespace, body: sts });
  const selector = 'app.kubernetes.io/instance=rc';

  const started = Date.now();
  const pods = await waitLogged(kubelet, 'both pods Running and Ready', 120_000, async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
    return list.items.length === 2 && list.items.every(isPodReady) ? list.items : undefined;
  });
  process.stdout.write(`stand-in: 2 pods Running and Ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  const ips = pods.map((p) => p.status!.podIP!);
  expect(ips.every((ip) => /^127\.0\.0\.\d+$/.test(ip))).toBe(true);
  expect(new Set(ips).size).toBe(2);
  const byName = new Map(kubelet.pods().map((p) => [p.name, p]));
  expect([...byName.keys()].sort()).toEqual(['rc-0', 'rc-1']);
  for (const pod of pods) {
    const running = byName.get(pod.metadata!.name!)!;
    expect(running.ip).toBe(pod.status!.podIP);
    expect(running.port).toBe(8080);
    expect(running.uid).toBe(pod.metadata!.uid);
    expect((await httpRequest(`${running.url}/healthz`)).status).toBe(200);
    // Auth is on with the Secret's token: the volume was materialised and the env pointed at it.
    expect((await httpRequest(`${running.url}/v1/keys/absent`)).status).toBe(401);
    expect((await httpRequest(`${running.url}/v1/keys/absent`, { token: tokens.token })).status).toBe(404);
    // The node's identity came from the fieldRef; the probe's answer names it.
    expect(JSON.parse((await httpRequest(`${running.url}/readyz`)).body).nodeId).toBe(pod.metadata!.name);
  }
  // The stand-in's DNS: a process started with it reaches a pod by its DNS name, as the operator will.
  const dns = kubelet.dns();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...dns.nodeArgs, '-e', "fetch('http://rc-1.rc-nodes.standin.svc:8080/readyz').then(r => r.text()).then(console.log)"],
    { env: { PATH: process.env.PATH, ...dns.env }, timeout: 20_000 },
  );
  expect(JSON.parse(stdout).nodeId).toBe('rc-1');

  // The pods form a ring over their DNS names, as the operator will publish it (by hand here):
  // a quorum write through rc-0 needs rc-1's acknowledgement, reached through the stand-in's DNS.
  const ring = {
    epoch: 1,
    replicationFactor: 2,
    members: ['rc-0', 'rc-1'].map((id, i) => ({ id, address: memberAddress('rc', namespace, i), state: 'active' })),
  };
  for (const p of byName.values()) {
    const put = await httpRequest(`${p.url}/v1/ring`, { method: 'PUT', token: tokens.peerToken, body: ring });
    expect(put.status).toBe(200);
  }
  const [rc0, rc1] = [byName.get('rc-0')!, byName.get('rc-1')!];
  expect((await nodeRequest(`${rc0.url}/v1/keys/greeting`, tokens.token, 'PUT', 'hello')).status).toBe(201);
  expect(await nodeRequest(`${rc1.url}/v1/keys/greeting`, tokens.token)).toMatchObject({ status: 200, body: 'hello' });

  await waitFor('the StatefulSet counts 2 Ready replicas', 60_000, async () => {
    const s = await apps.readNamespacedStatefulSet({ namespace, name: 'rc' });
    return s.status?.readyReplicas === 2 ? true : undefined;
  });

  // Scale in: the controller deletes rc-1 gracefully; the stand-in stops its process and removes it.
  const leaving = byName.get('rc-1')!;
  const scaled = Date.now();
  await apps.patchNamespacedStatefulSetScale(
    { namespace, name: 'rc', body: { spec: { replicas: 1 } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  await waitLogged(kubelet, 'rc-1 deleted', 120_000, async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
    return list.items.map((p) => p.metadata!.name).join() === 'rc-0' ? true : undefined;
  });
  process.stdout.write(`stand-in: rc-1 stopped and deleted in ${((Date.now() - scaled) / 1000).toFixed(1)} s\n`);
  // Stopped by SIGTERM and exited by itself (a SIGKILL at the deadline would show as the signal).
  expect(leaving.process.child.signalCode).toBeNull();
  expect(leaving.process.child.exitCode).toBe(0);
  expect(kubelet.pods().map((p) => p.name)).toEqual(['rc-0']);
  const log = readFileSync(kubelet.logPath, 'utf8');
  expect(log).toMatch(/pod rc-1: preStop node \/app\/bin\/ringcache.js drain --timeout-ms 55000 ok/);
  expect((await httpRequest(`${rc0.url}/healthz`)).status).toBe(200);

  // A process that dies by itself fails its pod; the StatefulSet controller replaces the pod and
  // the stand-in runs the new one (a kubelet would have restarted the container instead).
  rc0.process.child.kill('SIGKILL');
  const replaced = await waitLogged(kubelet, 'rc-0 replaced by a new Ready pod', 120_000, async () => {
    const list = await core.listNamespacedPod({ namespace, labelSelector: selector });
    const pod = list.items.find((p) => p.metadata!.name === 'rc-0');
    return pod && pod.metadata!.uid !== rc0.uid && isPodReady(pod) ? pod : undefined;
  });
  const again = kubelet.pods();
  expect(again.map((p) => [p.name, p.uid])).toEqual([['rc-0', replaced.metadata!.uid]]);
  expect((await httpRequest(`${again[0].url}/healthz`)).status).toBe(200);
  expect(readFileSync(kubelet.logPath, 'utf8')).toMatch(/pod rc-0: reported Failed/);
  expect(kubelet.watchRestarts).toBeGreaterThan(0);
});
