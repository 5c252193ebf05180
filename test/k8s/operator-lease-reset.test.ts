/**
 * The operator's Lease deleted and created afresh (the operator re-installed with its namespace,
 * or --lease-name changed) on a real control plane, with the stand-in kubelet running the pods as
 * real cache nodes. A fresh Lease counts its transitions from 0 again, while the nodes hold a
 * ring stamped with the old Lease's holder and count: they refuse, as DEPOSED_PUBLISHER, any ring
 * from a publisher with fewer transitions, or as many under another holder. The new leader must
 * raise its Lease past the publisher on record before it publishes, or it never scales again.
 * Then: a leader deposed while it runs drops its ringcache_operator_ring_epoch samples.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './controlplane/controlplane.js';
import { waitFor } from './controlplane/http.js';
import type { KubeApi } from './support/kube-api.js';
import { nodeRequest } from './support/key-writer.js';
import { StandInKubelet } from './support/kubelet.js';
import { installOperator, OperatorProcess, type InstalledOperator } from './support/operator.js';
import { waitLogged } from './support/waits.js';

const NS = 'reset';
const CLUSTER = 'demo';
const MERGE = 'application/merge-patch+json';
const ccPath = `/apis/ringcache.io/v1alpha1/namespaces/${NS}/cacheclusters/${CLUSTER}`;
const TIMING = ['--lease-duration-ms=6000', '--renew-deadline-ms=4000', '--retry-period-ms=1000', '--poll-ms=1000'];

let cp: ControlPlane | undefined;
let kubelet: StandInKubelet | undefined;
let dir: string | undefined;
const operators: OperatorProcess[] = [];

afterAll(async () => {
  for (const op of operators) await op.process.stop();
  await kubelet?.stop();
  await cp?.stop();
  if (dir && process.env.RINGCACHE_K8S_KEEP !== '1') await rm(dir, { recursive: true, force: true });
});

interface Publisher {
  holder: string;
  leaseTransitions: number;
}
interface Ring {
  epoch: number;
  members: Array<{ id: string; state: string }>;
  publisher?: Publisher;
}

test('an operator under a Lease created afresh raises it past the ring on record and scales on', async () => {
  cp = await startControlPlane();
  const installed: InstalledOperator = await installOperator(cp);
  const api: KubeApi = installed.api;
  await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  kubelet = await StandInKubelet.start({ kubeconfigPath: cp.kubeconfigPath, namespace: NS });
  const k = kubelet;
  const dns = k.dns();
  dir = await mkdtemp(join(tmpdir(), 'ringcache-lease-reset-'));
  const start = async (identity: string) => {
    const op = await OperatorProcess.start({ installed, identity, dir: dir!, args: TIMING, ...dns });
    operators.push(op);
    await waitFor(`${identity} leads`, 60_000, async () => ((await op.isLeader()) ? true : undefined), () => op.process.exited);
    return op;
  };
  const leasePath = `/apis/coordination.k8s.io/v1/namespaces/${installed.namespace}/leases/${installed.leaseName}`;
  const lease = async () => (await api.get(leasePath))?.body;

  const readRing = async (): Promise<Ring | undefined> => {
    const cm = await api.get(`/api/v1/namespaces/${NS}/configmaps/${CLUSTER}-ring`);
    return cm ? JSON.parse(cm.body.data['ring.json']) : undefined;
  };
  const token = async (): Promise<string> => {
    const secret = (await api.get(`/api/v1/namespaces/${NS}/secrets/${CLUSTER}-auth`))!.body;
    return Buffer.from(secret.data.token, 'base64').toString();
  };
  /** Settled at n: the record holds n active members, and every pod serves that very ring. */
  const settled = (n: number) => async (): Promise<Ring> => {
    const ring = await readRing();
    const states = ring?.members.map((m) => `${m.id}:${m.state}`).join();
    if (ring?.members.length !== n || !ring.members.every((m) => m.state === 'active'))
      throw new Error(`the record: epoch ${ring?.epoch}, members ${states}`);
    const conditions = (await api.get(ccPath))?.body.status?.conditions ?? [];
    const ready = conditions.find((c: { type: string }) => c.type === 'Ready');
    if (ready?.status !== 'True') throw new Error(`Ready ${JSON.stringify(ready)}`);
    const t = await token();
    const served = await Promise.all(
      k.pods().map(async (p) => {
        const r = await nodeRequest(`${p.url}/v1/ring`, t);
        return r.status === 200 ? (JSON.parse(r.body) as Ring) : undefined;
      }),
    );
    const held = served.map((d, i) => `${k.pods()[i]?.name}: ${d?.epoch} by ${JSON.stringify(d?.publisher)}`);
    if (served.length !== n || !served.every((d) => d?.epoch === ring.epoch))
      throw new Error(`the record at epoch ${ring.epoch}; the nodes hold ${held.join('; ')}`);
    return ring;
  };

  // Operator A settles a ring of 2 under the first Lease.
  const a = await start('operator-a');
  const created = await api.call('POST', `/apis/ringcache.io/v1alpha1/namespaces/${NS}/cacheclusters`, {
    apiVersion: 'ringcache.io/v1alpha1',
    kind: 'CacheCluster',
    metadata: { name: CLUSTER },
    spec: { replicas: 2, replicationFactor: 2, maxMemory: '32Mi' },
  });
  expect(created.status).toBe(201);
  const before = await waitLogged(k, 'a ring of 2 under operator A', 300_000, settled(2), () => a.process.exited);
  const transitionsA: number = (await lease()).spec.leaseTransitions ?? 0;
  expect(before.publisher).toEqual({ holder: 'operator-a', leaseTransitions: transitionsA });

  // Re-installed: A goes (SIGTERM releases the Lease), the Lease goes, and operator B creates a
  // new one, counting from 0.
  await a.process.stop();
  expect((await api.call('DELETE', leasePath)).status).toBe(200);
  const b = await start('operator-b');

  // B raises its Lease past A's count before it publishes: the nodes take its rings.
  expect((await api.call('PATCH', ccPath, { spec: { replicas: 3 } }, MERGE)).status).toBe(200);
  const after = await waitLogged(k, 'a ring of 3 under operator B, on every node', 300_000, settled(3), () => b.process.exited);
  expect(after.epoch).toBeGreaterThan(before.epoch);
  const transitionsB: number = (await lease()).spec.leaseTransitions;
  expect(transitionsB).toBe(transitionsA + 1);
  expect(after.publisher).toEqual({ holder: 'operator-b', leaseTransitions: transitionsB });
  const events = (await api.get(`/api/v1/namespaces/${NS}/events`))!.body.items as Array<{ reason: string }>;
  expect(events.filter((e) => e.reason === 'PublisherDeposed')).toEqual([]);
  expect(b.process.tail(400)).toContain('"msg":"raised the Lease transitions above a ring publisher on record"');
  expect(await b.metric('ringcache_operator_ring_epoch')).toBe(after.epoch);

  // Worse: the Lease created afresh and the ring record lost too (its ConfigMap deleted; status
  // still has the ring, without its publisher). Operator C's first ring is refused as from a
  // deposed publisher; it reads what the nodes hold, raises its Lease past that, and publishes the
  // refused ring again one epoch up.
  await b.process.stop();
  expect((await api.call('DELETE', leasePath)).status).toBe(200);
  expect((await api.call('DELETE', `/api/v1/namespaces/${NS}/configmaps/${CLUSTER}-ring`)).status).toBe(200);
  const c = await start('operator-c');
  expect((await api.call('PATCH', ccPath, { spec: { replicas: 2 } }, MERGE)).status).toBe(200);
  const shrunk = await waitLogged(k, 'a ring of 2 under operator C, on every node', 300_000, settled(2), () => c.process.exited);
  const transitionsC: number = (await lease()).spec.leaseTransitions;
  expect(transitionsC).toBe(transitionsB + 1);
  expect(shrunk.publisher).toEqual({ holder: 'operator-c', leaseTransitions: transitionsC });
  const told = await waitFor('the RingRepublished Event', 30_000, async () => {
    const items = (await api.get(`/api/v1/namespaces/${NS}/events`))!.body.items as Array<{ reason: string; message: string }>;
    const republished = items.filter((e) => e.reason === 'RingRepublished');
    return republished.length > 0 ? items : undefined;
  });
  expect(told.find((e) => e.reason === 'PublisherDeposed')?.message).toBe(
    `ring epoch ${after.epoch + 1} refused by demo-0, demo-1, demo-2: publisher operator-c (lease transitions 0) was deposed by operator-b (lease transitions ${transitionsB})`,
  );
  expect(told.filter((e) => e.reason === 'RingRepublished').map((e) => e.message)).toEqual([
    `ring epoch ${after.epoch + 1} was refused by demo-0, demo-1, demo-2 as from a deposed publisher; published again as epoch ${after.epoch + 2} under operator-c (lease transitions ${transitionsC})`,
  ]);

  // C deposed while it runs (another holder written into its Lease): it stops leading, and its
  // ring_epoch samples go with its leadership rather than stay frozen at the last epoch.
  const current = await lease();
  const taken = await api.call('PUT', leasePath, {
    ...current,
    spec: { ...current.spec, holderIdentity: 'someone-else', leaseDurationSeconds: 3600, leaseTransitions: transitionsC + 1 },
  });
  expect(taken.status).toBe(200);
  await waitFor('operator C stands by', 30_000, async () => ((await c.isLeader()) === false ? true : undefined), () => c.process.exited);
  expect(await c.metric('ringcache_operator_ring_epoch')).toBeUndefined();
});
