/**
 * End to end on a real control plane: the CRD, `ringcache operator` as a child process, the
 * stand-in kubelet running the pods as real ringcache processes, a CacheCluster of 3 (RF 2)
 * scaled 3 -> 5 -> 2 while a writer runs, and every acknowledged write read back after; then a
 * pod deleted and recreated empty gets its share back before it is Ready.
 * What this does not prove: no real kubelet, container runtime, cluster DNS or network (see
 * docs/operator.md, "Testing with the stand-in kubelet").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { CLI } from '../support/node-process.js';
import { startControlPlane, type ControlPlane } from './controlplane/controlplane.js';
import { LoggedProcess } from './controlplane/process.js';
import { applyCrd } from './support/crd.js';
import { KeyWriter, nodeRequest } from './support/key-writer.js';
import { StandInKubelet } from './support/kubelet.js';
import { isPodReady, waitLogged } from './support/waits.js';

const NAMESPACE = 'e2e';
const CLUSTER = 'demo';
const KEYS = 300;
const crd = { group: 'ringcache.io', version: 'v1alpha1', plural: 'cacheclusters', namespace: NAMESPACE };
const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * How the test runs the operator: the built CLI, the admin's kubeconfig, and the stand-in's DNS
 * so that ring member addresses (pod DNS names) resolve as they do for the pods.
 */
function operatorCommand(kubelet: StandInKubelet, kubeconfig: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const dns = kubelet.dns();
  return {
    // A free port for its metrics: the default 9090 would collide with another run on the machine.
    args: [...dns.nodeArgs, CLI, 'operator', '--metrics-port=0'],
    env: {
      PATH: process.env.PATH,
      KUBECONFIG: kubeconfig,
      POD_NAME: 'ringcache-operator-e2e',
      POD_NAMESPACE: NAMESPACE,
      ...dns.env,
    },
  };
}

let cp: ControlPlane | undefined;
let kubelet: StandInKubelet | undefined;
let operator: LoggedProcess | undefined;
let dir: string | undefined;
let writer: KeyWriter | undefined;

afterAll(async () => {
  await writer?.stop();
  await operator?.stop();
  await kubelet?.stop();
  await cp?.stop();
  if (dir && process.env.RINGCACHE_K8S_KEEP !== '1') await rm(dir, { recursive: true, force: true });
});

interface CacheClusterObject {
  metadata: { generation: number };
  spec: { replicas: number };
  status?: {
    observedGeneration?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    ring?: { epoch: number; members: Array<{ id: string; address: string; state: string }> };
  };
}

test('a CacheCluster of 3 scales 3 -> 5 -> 2 under writes and loses no acknowledged write, then to 0 and back', async () => {
  const timings: Array<[string, number]> = [];
  const phase = async <T,>(name: string, run: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const result = await run();
    timings.push([name, (Date.now() - started) / 1000]);
    process.stdout.write(`e2e phase "${name}": ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return result;
  };

  cp = await phase('control plane', () => startControlPlane());
  const kc = new KubeConfig();
  kc.loadFromFile(cp.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  kubelet = await StandInKubelet.start({ kubeconfigPath: cp.kubeconfigPath, namespace: NAMESPACE });
  const k = kubelet;
  await phase('CRD established', () => applyCrd(cp!));

  dir = await mkdtemp(join(tmpdir(), 'ringcache-e2e-'));
  const command = operatorCommand(k, cp.kubeconfigPath);
  operator = new LoggedProcess('operator', process.execPath, command.args, join(dir, 'operator.log'), command.env);
  const op = operator;
  const operatorAlive = (): string | undefined => op.exited;

  await custom.createNamespacedCustomObject({
    ...crd,
    body: {
      apiVersion: 'ringcache.io/v1alpha1',
      kind: 'CacheCluster',
      metadata: { name: CLUSTER },
      spec: { replicas: 3, replicationFactor: 2, maxMemory: '32Mi' },
    },
  });
  const read = async (): Promise<CacheClusterObject> =>
    (await custom.getNamespacedCustomObject({ ...crd, name: CLUSTER })) as CacheClusterObject;

  let token = '';
  const urls = (): string[] => k.pods().map((p) => p.url);

  /**
   * Settled at n: the ring published in status has members demo-0..n-1, all active; every pod
   * runs that epoch; the StatefulSet has n replicas, all Ready; exactly n pods exist.
   */
  const settled = (n: number) => async (): Promise<number> => {
    // Each unmet condition throws: on a timeout, waitFor reports the last one.
    const need = (ok: boolean, what: () => string): void => {
      if (!ok) throw new Error(what());
    };
    const cc = await read();
    const ring = cc.status?.ring;
    const want = Array.from({ length: n }, (_, i) => `${CLUSTER}-${i}`).join();
    const states = ring?.members.map((m) => `${m.id}:${m.state}`).join();
    need(ring?.members.map((m) => m.id).join() === want, () => `status.ring members ${states}, want ${want}`);
    need(ring!.members.every((m) => m.state === 'active'), () => `status.ring members ${states}, not all active`);
    const { observedGeneration, conditions } = cc.status ?? {};
    need(observedGeneration === cc.metadata.generation, () => `observedGeneration ${observedGeneration}`);
    const available = conditions?.find((c) => c.type === 'Available');
    need(available?.status === 'True', () => `conditions ${JSON.stringify(conditions)}`);
    // What `kubectl wait --for=condition=Ready` waits on: the summary once the pass has nothing to do.
    const ready = conditions?.find((c) => c.type === 'Ready');
    need(ready?.status === 'True', () => `Ready ${JSON.stringify(ready)}`);
    const sts = await apps.readNamespacedStatefulSet({ namespace: NAMESPACE, name: CLUSTER });
    const { replicas, readyReplicas } = sts.status ?? {};
    need(
      sts.spec?.replicas === n && readyReplicas === n && replicas === n,
      () => `StatefulSet spec ${sts.spec?.replicas}, status ${replicas} (${readyReplicas} Ready)`,
    );
    const pods = await core.listNamespacedPod({
      namespace: NAMESPACE,
      labelSelector: `app.kubernetes.io/instance=${CLUSTER}`,
    });
    need(pods.items.length === n && pods.items.every(isPodReady), () => `${pods.items.length} pods, not all Ready`);
    need(k.pods().length === n, () => `${k.pods().length} pod processes`);
    if (!token) token = await clientToken();
    for (const url of urls()) {
      const r = await nodeRequest(`${url}/v1/ring`, token);
      need(r.status === 200 && JSON.parse(r.body).epoch === ring!.epoch, () => `${url} serves ${r.status} ${r.body}`);
    }
    return ring!.epoch;
  };
  const clientToken = async (): Promise<string> => {
    const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: `${CLUSTER}-auth` });
    return Buffer.from(secret.data!.token, 'base64').toString();
  };

  const first = await phase('3 pods, ring of 3 active', () =>
    waitLogged(k, 'the cluster Available with a ring of 3', 300_000, settled(3), operatorAlive),
  );

  writer = new KeyWriter(urls, { token, keys: KEYS });
  const w = writer;
  await phase(`write ${KEYS} keys (quorum)`, () => w.write(KEYS));
  expect(w.acked.size).toBe(KEYS);

  // Keep writing while the cluster scales: bounded in count; stopped once it has settled.
  w.start(20_000);
  await custom.patchNamespacedCustomObject({ ...crd, name: CLUSTER, body: { spec: { replicas: 5 } } }, merge);
  const grown = await phase('scale 3 -> 5', () => waitLogged(k, 'a settled ring of 5', 300_000, settled(5), operatorAlive));
  expect(grown).toBeGreaterThan(first);

  // Through the scale subresource this time, as `kubectl scale` does.
  await custom.patchNamespacedCustomObjectScale({ ...crd, name: CLUSTER, body: { spec: { replicas: 2 } } }, merge);
  const shrunk = await phase('scale 5 -> 2', () => waitLogged(k, 'a settled ring of 2', 300_000, settled(2), operatorAlive));
  expect(shrunk).toBeGreaterThan(grown);
  await w.stop();
  process.stdout.write(`e2e writer: ${w.count} writes, ${w.failures} not acknowledged, ${w.acked.size} keys\n`);

  const lost = await phase('read back every acknowledged key via both nodes', () => w.lost(urls()));
  expect(lost).toEqual([]);

  // A pod dies and the StatefulSet recreates it empty: it pulls its share back (at RF 2 on two
  // nodes, every key) before it reports Ready, and nothing is lost.
  const victim = k.pods().find((p) => p.name === `${CLUSTER}-1`)!;
  await core.deleteNamespacedPod({ namespace: NAMESPACE, name: victim.name, gracePeriodSeconds: 0 });
  await phase('pod demo-1 recreated and Ready', () =>
    waitLogged(
      k,
      'demo-1 back with its share',
      300_000,
      async () => {
        const pod = k.pods().find((p) => p.name === `${CLUSTER}-1`);
        if (pod === undefined || pod.uid === victim.uid) throw new Error('demo-1 not recreated yet');
        return settled(2)();
      },
      operatorAlive,
    ),
  );
  const recreated = k.pods().find((p) => p.name === `${CLUSTER}-1`)!;
  const status = JSON.parse((await nodeRequest(`${recreated.url}/v1/status`, token)).body) as {
    cluster: { handoffComplete: boolean; shareRecovery: { state: string; entriesReceived: number } };
    store: { keys: number };
  };
  expect(status.cluster.handoffComplete).toBe(true);
  expect(status.cluster.shareRecovery.state).toBe('done');
  expect(status.cluster.shareRecovery.entriesReceived).toBeGreaterThanOrEqual(w.acked.size);
  expect(status.store.keys).toBeGreaterThanOrEqual(w.acked.size);
  expect(await w.lost(urls())).toEqual([]);

  // Scale to zero (the cluster's contents go, as documented) and back: a fresh ring serves again.
  await custom.patchNamespacedCustomObjectScale({ ...crd, name: CLUSTER, body: { spec: { replicas: 0 } } }, merge);
  const emptied = await phase('scale 2 -> 0', () =>
    waitLogged(
      k,
      'no pods and an empty ring',
      300_000,
      async () => {
        const ring = (await read()).status?.ring;
        const sts = await apps.readNamespacedStatefulSet({ namespace: NAMESPACE, name: CLUSTER });
        if (ring === undefined || ring.members.length !== 0) throw new Error(`status.ring ${JSON.stringify(ring)}`);
        if (sts.spec?.replicas !== 0 || k.pods().length !== 0) {
          throw new Error(`StatefulSet ${sts.spec?.replicas}, ${k.pods().length} pod processes`);
        }
        return ring.epoch;
      },
      operatorAlive,
    ),
  );
  expect(emptied).toBeGreaterThan(shrunk);
  await custom.patchNamespacedCustomObjectScale({ ...crd, name: CLUSTER, body: { spec: { replicas: 2 } } }, merge);
  const back = await phase('scale 0 -> 2', () => waitLogged(k, 'a settled ring of 2 again', 300_000, settled(2), operatorAlive));
  expect(back).toBeGreaterThan(emptied);
  const again = new KeyWriter(urls, { token, keys: 20 });
  await phase('write and read 20 keys after scaling back', () => again.write(20));
  expect(again.acked.size).toBe(20);
  expect(await again.lost(urls())).toEqual([]);
  process.stdout.write(`e2e timings: ${timings.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join('; ')}\n`);
});
