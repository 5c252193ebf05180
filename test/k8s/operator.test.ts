/**
 * `ringcache operator` on a real control plane (etcd, kube-apiserver, kube-controller-manager),
 * installed from k8s/ (the CRD, its ServiceAccount and RBAC) and run as child processes under that
 * ServiceAccount. One control plane serves the tests below, in order:
 *
 * - the CRD's own rules refuse invalid specs with their messages (no operator involved);
 * - a CacheCluster yields its objects, owned by it, and a status; pods the test marks Ready get a
 *   ring published; the scale subresource resizes the StatefulSet; SIGTERM releases the Lease;
 *   deleting the cluster lets the garbage collector remove everything it owned;
 * - two operators elect one leader; SIGKILL of the leader hands over within the lease duration,
 *   and the new leader's rings carry higher epochs and its lease transitions; a leader frozen
 *   past its renew deadline stops when it wakes; --member-address=pod-ip; a lost ring record is
 *   adopted back from the nodes (the stand-in kubelet runs the pods as real cache nodes).
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

const GROUP_PATH = '/apis/ringcache.io/v1alpha1';
const ccPath = (ns: string, name = '') => `${GROUP_PATH}/namespaces/${ns}/cacheclusters${name ? `/${name}` : ''}`;
const MERGE = 'application/merge-patch+json';

let cp: ControlPlane | undefined;
let installed: InstalledOperator;
let api: KubeApi;
let dir: string;
const operators: OperatorProcess[] = [];
let kubelet: StandInKubelet | undefined;

beforeAll(async () => {
  const started = Date.now();
  cp = await startControlPlane();
  installed = await installOperator(cp);
  api = installed.api;
  dir = await mkdtemp(join(tmpdir(), 'ringcache-operator-test-'));
  process.stdout.write(`operator test: control plane and k8s/ installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
});

afterAll(async () => {
  for (const op of operators) await op.process.stop();
  await kubelet?.stop();
  await cp?.stop();
  if (dir && process.env.RINGCACHE_K8S_KEEP !== '1') await rm(dir, { recursive: true, force: true });
});

async function namespace(name: string): Promise<void> {
  await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function startOperator(identity: string, args: string[] = [], extra: Partial<{ nodeArgs: string[]; env: Record<string, string> }> = {}) {
  const op = await OperatorProcess.start({ installed, identity, dir, args, ...extra });
  operators.push(op);
  return op;
}

async function lease(): Promise<{ holderIdentity?: string; leaseTransitions?: number }> {
  const r = await api.get(`/apis/coordination.k8s.io/v1/namespaces/${installed.namespace}/leases/${installed.leaseName}`);
  return r?.body.spec ?? {};
}

/** Waits until CacheCluster ns/name is Degraded by a failed reconcile pass; answers the condition's message. */
function degradedMessage(op: Awaited<ReturnType<typeof startOperator>>, ns: string, name: string): Promise<string> {
  return waitFor(`${name} Degraded`, 60_000, async () => {
    const conditions = (await api.get(ccPath(ns, name)))?.body.status?.conditions ?? [];
    const c = conditions.find((x: { type: string }) => x.type === 'Degraded');
    return c?.status === 'True' && c.reason === 'ReconcileError' ? (c.message as string) : undefined;
  }, () => op.process.exited);
}

/** Creates a CacheCluster; answers the API server's status and message. */
async function create(ns: string, name: string, spec: Record<string, unknown>) {
  const r = await api.call('POST', ccPath(ns), { apiVersion: 'ringcache.io/v1alpha1', kind: 'CacheCluster', metadata: { name }, spec });
  return { status: r.status, message: r.body?.message as string };
}

describe('the CRD refuses invalid specs with its messages', () => {
  beforeAll(() => namespace('invalid'));

  test('replicationFactor above replicas', async () => {
    expect(await create('invalid', 'rf', { replicas: 2, replicationFactor: 3 })).toEqual({
      status: 422,
      message:
        'CacheCluster.ringcache.io "rf" is invalid: spec.replicationFactor: Invalid value: ' +
        'replicationFactor must not exceed replicas (each key is stored on replicationFactor distinct nodes); ' +
        'only replicas 0, which stops the cluster, is exempt',
    });
  });

  test('maxMemory malformed, below 16Mi or above 64Ti; replicas above 1000', async () => {
    const small = await create('invalid', 'small', { maxMemory: '8Mi' });
    expect(small).toEqual({
      status: 422,
      message: 'CacheCluster.ringcache.io "small" is invalid: spec.maxMemory: Invalid value: "8Mi": maxMemory must be at least 16Mi',
    });
    const huge = await create('invalid', 'huge', { maxMemory: '99999999999999T' });
    expect(huge).toEqual({
      status: 422,
      message:
        'CacheCluster.ringcache.io "huge" is invalid: spec.maxMemory: Invalid value: "99999999999999T": maxMemory must be at most 64Ti',
    });
    const many = await create('invalid', 'many', { replicas: 1001 });
    expect(many.status).toBe(422);
    expect(many.message).toContain('spec.replicas: Invalid value: 1001: spec.replicas in body should be less than or equal to 1000');
    const bad = await create('invalid', 'bad', { maxMemory: 'lots' });
    expect(bad.status).toBe(422);
    expect(bad.message).toBe(
      'CacheCluster.ringcache.io "bad" is invalid: spec.maxMemory: Invalid value: "lots": ' +
        'spec.maxMemory in body should match \'^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$\'',
    );
  });

  test('resources: a negative quantity, a request above its limit (the StatefulSet would be refused later)', async () => {
    const negative = await create('invalid', 'negative', { resources: { limits: { memory: '-1Gi' } } });
    expect(negative.status).toBe(422);
    expect(negative.message).toContain('spec.resources.limits.memory: Invalid value: "-1Gi"');
    const over = await create('invalid', 'over', {
      resources: { requests: { memory: '1Gi', cpu: 1 }, limits: { memory: '512Mi', cpu: 2 } },
    });
    expect(over).toEqual({
      status: 422,
      message:
        'CacheCluster.ringcache.io "over" is invalid: spec.resources: Invalid value: ' +
        'every resources.requests quantity must be at most the resources.limits quantity of the same resource',
    });
    const fits = await create('invalid', 'fits', {
      resources: { requests: { memory: '512Mi', cpu: '500m' }, limits: { memory: '512Mi', cpu: 1 } },
    });
    expect(fits.status).toBe(201);
  });

  test('replicationFactor cannot change; the scale subresource cannot go below it', async () => {
    expect((await create('invalid', 'fixed', { replicas: 3, replicationFactor: 2 })).status).toBe(201);
    const changed = await api.call('PATCH', ccPath('invalid', 'fixed'), { spec: { replicationFactor: 3 } }, MERGE);
    expect(changed.status).toBe(422);
    expect(changed.body.message).toBe(
      'CacheCluster.ringcache.io "fixed" is invalid: spec.replicationFactor: Invalid value: 3: ' +
        'replicationFactor is immutable; create a new CacheCluster to change it',
    );
    const scaled = await api.call('PATCH', `${ccPath('invalid', 'fixed')}/scale`, { spec: { replicas: 1 } }, MERGE);
    expect(scaled.status).toBe(422);
    expect(scaled.body.message).toContain('replicationFactor must not exceed replicas');
  });

  test('pod placement fields: kept as given (core/v1 shapes), with a bad pull policy refused', async () => {
    const placement = {
      imagePullPolicy: 'IfNotPresent',
      imagePullSecrets: [{ name: 'regcred' }],
      nodeSelector: { 'example.com/pool': 'cache' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cache', effect: 'NoSchedule', tolerationSeconds: 30 }],
      affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['cache'] }] } }] } },
      priorityClassName: 'cache-critical',
    };
    expect((await create('invalid', 'placed', placement)).status).toBe(201);
    const stored = await api.get(ccPath('invalid', 'placed'));
    expect(stored?.body.spec).toMatchObject(placement);
    const bad = await create('invalid', 'pull', { imagePullPolicy: 'Sometimes' });
    expect(bad.status).toBe(422);
    expect(bad.message).toContain('spec.imagePullPolicy: Unsupported value: "Sometimes"');
  });
});

interface Condition {
  type: string;
  status: string;
  observedGeneration?: number;
  reason: string;
  message: string;
}

test('a CacheCluster yields its objects, owned by it, a status, a ring once pods are Ready; scale; SIGTERM; garbage collection', async () => {
  const ns = 'objects';
  await namespace(ns);
  const op = await startOperator('operator-a');
  await waitFor('operator-a leads', 60_000, async () => ((await op.isLeader()) ? true : undefined), () => op.process.exited);
  expect((await lease()).holderIdentity).toBe('operator-a');

  // A memory limit below maxMemory is accepted, and warned about (specWarnings).
  const spec = { replicas: 3, maxMemory: '32Mi', resources: { limits: { memory: '24Mi' } } };
  expect((await create(ns, 'demo', spec)).status).toBe(201);
  const cc = (await api.get(ccPath(ns, 'demo')))!.body;
  const owner = {
    apiVersion: 'ringcache.io/v1alpha1',
    kind: 'CacheCluster',
    name: 'demo',
    uid: cc.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
  const children = [
    `/apis/apps/v1/namespaces/${ns}/statefulsets/demo`,
    `/api/v1/namespaces/${ns}/services/demo`,
    `/api/v1/namespaces/${ns}/services/demo-nodes`,
    `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/demo`,
    `/api/v1/namespaces/${ns}/secrets/demo-auth`,
  ];
  for (const path of children) {
    const object = await waitFor(path, 60_000, async () => (await api.get(path))?.body, () => op.process.exited);
    expect(object.metadata.ownerReferences).toEqual([owner]);
  }
  const sts = (await api.get(children[0]))!.body;
  expect(sts.spec.replicas).toBe(3);

  // No kubelet: the pods exist (the StatefulSet controller made them) but are never Ready.
  const status = await waitFor('status written', 60_000, async () => {
    const s = (await api.get(ccPath(ns, 'demo')))!.body.status;
    return s?.observedGeneration === cc.metadata.generation && s.conditions?.length === 5 ? s : undefined;
  });
  expect(status.selector).toBe('app.kubernetes.io/component=cache-node,app.kubernetes.io/instance=demo,app.kubernetes.io/name=ringcache');
  const byType = (conditions: Condition[]) => Object.fromEntries(conditions.map((c) => [c.type, c]));
  const first = byType(status.conditions);
  for (const c of status.conditions as Condition[]) expect(c.observedGeneration).toBe(cc.metadata.generation);
  expect(first.Available).toMatchObject({ status: 'False', reason: 'NoRing' });
  expect(first.Progressing).toMatchObject({ status: 'True', reason: 'Waiting' });
  expect(first.Progressing.message).toBe('waiting for demo-0, demo-1, demo-2 to become Ready');
  expect(first.Ready).toMatchObject({ status: 'False', reason: 'NoRing' });

  // The test stands in for the kubelet: the pods Running and Ready at addresses nothing serves.
  const pods = await waitFor('3 pods', 60_000, async () => {
    const r = await api.get(`/api/v1/namespaces/${ns}/pods?labelSelector=app.kubernetes.io/instance%3Ddemo`);
    return r?.body.items.length === 3 ? r.body.items : undefined;
  });
  for (const [i, pod] of (pods as Array<{ metadata: { name: string } }>).entries()) {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const ready = { status: 'True', lastTransitionTime: now };
    const r = await api.call(
      'PATCH',
      `/api/v1/namespaces/${ns}/pods/${pod.metadata.name}/status`,
      {
        status: {
          phase: 'Running',
          podIP: `127.1.250.${i + 1}`,
          podIPs: [{ ip: `127.1.250.${i + 1}` }],
          conditions: [
            { type: 'Ready', ...ready },
            { type: 'ContainersReady', ...ready },
          ],
        },
      },
      'application/strategic-merge-patch+json',
    );
    expect(r.status).toBe(200);
  }
  const ring = await waitFor('the first ring published', 60_000, async () => {
    const cm = await api.get(`/api/v1/namespaces/${ns}/configmaps/demo-ring`);
    return cm ? JSON.parse(cm.body.data['ring.json']) : undefined;
  });
  // The pods turn Ready one by one: the first ring holds those Ready when the operator looked
  // (at least one), all joining, at their DNS names; the ring then stays frozen while it forms.
  const expected = [0, 1, 2].map((i) => ({ id: `demo-${i}`, address: `demo-${i}.demo-nodes.${ns}.svc:8080`, state: 'joining' }));
  expect(ring).toEqual({
    epoch: 1,
    replicationFactor: 2,
    members: expected.slice(0, ring.members.length),
    publisher: { holder: 'operator-a', leaseTransitions: (await lease()).leaseTransitions },
  });
  expect(ring.members.length).toBeGreaterThan(0);
  const ids = ring.members.map((m: { id: string }) => m.id).join(', ');
  const cm = (await api.get(`/api/v1/namespaces/${ns}/configmaps/demo-ring`))!.body;
  expect(cm.metadata.ownerReferences).toEqual([owner]);
  const published = await waitFor('status.ring', 60_000, async () => {
    const s = (await api.get(ccPath(ns, 'demo')))!.body.status;
    return s.ring?.epoch === 1 && s.readyReplicas === 3 ? s : undefined;
  });
  expect(published.ring.members).toEqual(ring.members);
  expect(published.leader).toBe('operator-a');
  expect(published.replicas).toBe(3);
  // The nodes never answer: the ring forms no further, and status says why.
  const converged = byType(published.conditions).RingConverged;
  expect(converged).toMatchObject({ status: 'False', reason: 'HandoffPending' });
  expect(converged.message).toBe(`not yet at epoch 1 with the hand-off done: ${ids}`);
  const events = (await api.get(`/api/v1/namespaces/${ns}/events`))!.body.items as Array<{ reason: string; message: string; involvedObject: { name: string } }>;
  expect(events.find((e) => e.reason === 'RingPublished')?.message).toBe(
    `ring epoch 1 published (${ring.members.map((m: { id: string }) => `${m.id}:joining`).join(', ')})`,
  );
  expect(events.find((e) => e.reason === 'ScalingUp')?.message).toBe('StatefulSet grown to 3');
  expect(events.filter((e) => e.reason === 'SpecWarning').map((e) => e.message)).toEqual([
    'resources.limits.memory (24Mi) is below maxMemory (32Mi): the node would be OOM-killed, losing its copies, before it evicts',
  ]);

  // The scale subresource, as `kubectl scale` uses it: a new generation, a bigger StatefulSet.
  const scaled = await api.call('PATCH', `${ccPath(ns, 'demo')}/scale`, { spec: { replicas: 4 } }, MERGE);
  expect(scaled.status).toBe(200);
  const generation = (await api.get(ccPath(ns, 'demo')))!.body.metadata.generation;
  expect(generation).toBeGreaterThan(cc.metadata.generation);
  await waitFor('the StatefulSet at 4', 60_000, async () => ((await api.get(children[0]))!.body.spec.replicas === 4 ? true : undefined));
  await waitFor('observedGeneration follows', 60_000, async () =>
    (await api.get(ccPath(ns, 'demo')))!.body.status.observedGeneration === generation ? true : undefined,
  );
  const scale = (await api.get(`${ccPath(ns, 'demo')}/scale`))!.body;
  expect(scale.spec.replicas).toBe(4);
  expect(scale.status.selector).toBe(status.selector);

  // SIGTERM: the operator stops, releases the Lease (no holder) and exits 0.
  const exit = new Promise<number | null>((resolve) => op.process.child.once('exit', (code) => resolve(code)));
  op.process.child.kill('SIGTERM');
  expect(await exit).toBe(0);
  expect((await lease()).holderIdentity).toBeUndefined();
  expect(op.process.tail(50)).toContain('"msg":"released the Lease"');

  // Deleting the cluster: kube-controller-manager's garbage collector removes what it owned.
  const deletedAt = Date.now();
  expect((await api.call('DELETE', ccPath(ns, 'demo'))).status).toBe(200);
  for (const path of [...children, `/api/v1/namespaces/${ns}/configmaps/demo-ring`]) {
    await waitFor(`${path} collected`, 120_000, async () => ((await api.get(path)) === undefined ? true : undefined));
  }
  process.stdout.write(`operator test: garbage collection took ${((Date.now() - deletedAt) / 1000).toFixed(1)} s\n`);
});

test('two operators elect one leader; SIGKILL of the leader hands over, a frozen leader stops, epochs only grow', async () => {
  const ns = 'ha';
  await namespace(ns);
  // Operators a test before left running (it failed) would hold the Lease: SIGTERM releases it.
  for (const op of operators.splice(0)) await op.process.stop();
  kubelet = await StandInKubelet.start({ kubeconfigPath: cp!.kubeconfigPath, namespace: ns });
  const k = kubelet;
  const dns = k.dns();
  const leaseDurationMs = 6000;
  const timing = [`--lease-duration-ms=${leaseDurationMs}`, '--renew-deadline-ms=4000', '--retry-period-ms=1000', '--poll-ms=1000', '--watch-timeout-seconds=2'];
  const [one, two] = await Promise.all(
    ['operator-1', 'operator-2'].map((id) => startOperator(id, timing, { nodeArgs: dns.nodeArgs, env: dns.env })),
  );
  const leaderOf = async (): Promise<OperatorProcess | undefined> => {
    const flags = await Promise.all([one.isLeader(), two.isLeader()]);
    const holder = (await lease()).holderIdentity;
    // Exactly one says it leads, and the Lease names it.
    if (flags[0] === true && flags[1] === false && holder === one.identity) return one;
    if (flags[0] === false && flags[1] === true && holder === two.identity) return two;
    return undefined;
  };
  const leader = await waitFor('exactly one leader, named by the Lease', 60_000, leaderOf);
  const standBy = leader === one ? two : one;
  const transitionsBefore = (await lease()).leaseTransitions!;

  expect((await create(ns, 'ha', { replicas: 2, replicationFactor: 2, maxMemory: '32Mi' })).status).toBe(201);
  const readRing = async () => {
    const cm = await api.get(`/api/v1/namespaces/${ns}/configmaps/ha-ring`);
    return cm ? JSON.parse(cm.body.data['ring.json']) : undefined;
  };
  const settled = (n: number) => async () => {
    const ring = await readRing();
    const s = (await api.get(ccPath(ns, 'ha')))?.body.status;
    const available = s?.conditions?.find((c: Condition) => c.type === 'Available');
    const ok =
      ring?.members.length === n &&
      ring.members.every((m: { state: string }) => m.state === 'active') &&
      s?.ring?.epoch === ring.epoch &&
      available?.status === 'True';
    if (!ok) throw new Error(`ring ${JSON.stringify(ring?.members)} epoch ${ring?.epoch}; status ring epoch ${s?.ring?.epoch}`);
    return ring;
  };
  const before = await waitLogged(k, 'a ring of 2 active', 180_000, settled(2), () => leader.process.exited);
  expect(before.publisher).toEqual({ holder: leader.identity, leaseTransitions: transitionsBefore });

  const killedAt = Date.now();
  leader.process.child.kill('SIGKILL');
  await waitFor('the stand-by leads', leaseDurationMs + 30_000, async () => {
    const holder = (await lease()).holderIdentity;
    return holder === standBy.identity && (await standBy.isLeader()) ? true : undefined;
  });
  const handover = Date.now() - killedAt;
  process.stdout.write(`operator test: hand-over after SIGKILL took ${(handover / 1000).toFixed(1)} s (lease ${leaseDurationMs / 1000} s)\n`);
  const transitionsAfter = (await lease()).leaseTransitions!;
  expect(transitionsAfter).toBe(transitionsBefore + 1);

  // The new leader resumes from the published ring: its documents carry higher epochs.
  const merged = await api.call('PATCH', ccPath(ns, 'ha'), { spec: { replicas: 3 } }, MERGE);
  expect(merged.status).toBe(200);
  const after = await waitLogged(k, 'a ring of 3 active', 180_000, settled(3), () => standBy.process.exited);
  expect(after.epoch).toBeGreaterThan(before.epoch);
  expect(after.publisher).toEqual({ holder: standBy.identity, leaseTransitions: transitionsAfter });
  expect((await api.get(ccPath(ns, 'ha')))!.body.status.leader).toBe(standBy.identity);
  // Every member runs the epoch published (pushed until each has it).
  const secret = (await api.get(`/api/v1/namespaces/${ns}/secrets/ha-auth`))!.body;
  const token = Buffer.from(secret.data.token, 'base64').toString();
  await waitLogged(k, 'every pod at the published epoch', 60_000, async () => {
    const epochs = await Promise.all(k.pods().map(async (p) => JSON.parse((await nodeRequest(`${p.url}/v1/ring`, token)).body).epoch));
    return epochs.length === 3 && epochs.every((e) => e === after.epoch) ? true : undefined;
  });
  expect(await standBy.metric('ringcache_operator_ring_epoch')).toBe(after.epoch);
  // Its watches end every 2 s (--watch-timeout-seconds) and list again.
  await waitFor('a watch restarted', 30_000, async () =>
    ((await standBy.metric('ringcache_operator_watch_lists_total')) ?? 0) > 1 ? true : undefined,
  );

  // A leader frozen (SIGSTOP) past its renew deadline: a third operator takes over, and the old
  // one, woken, stops at once instead of reconciling on. The third runs --member-address=pod-ip:
  // its joiners enter the ring at their pod IPs.
  const third = await startOperator('operator-3', [...timing, '--member-address=pod-ip'], {
    nodeArgs: dns.nodeArgs,
    env: dns.env,
  });
  expect(await third.isLeader()).toBe(false);
  standBy.process.child.kill('SIGSTOP');
  await waitFor('operator-3 leads', leaseDurationMs + 30_000, async () =>
    (await lease()).holderIdentity === third.identity && (await third.isLeader()) ? true : undefined,
  );
  standBy.process.child.kill('SIGCONT');
  await waitFor('the woken operator stands by', 30_000, async () => ((await standBy.isLeader()) === false ? true : undefined));
  // The renew deadline's timer stops it before it can read the Lease again, and it writes nothing
  // after: no ring, no Event.
  const woken = standBy.process.tail(400).split('\n');
  const stoppedAt = woken.findIndex((l) => l.includes('"msg":"stopped leading"'));
  expect(JSON.parse(woken[stoppedAt]).reason).toBe('no renewal within the renew deadline (4000 ms)');
  expect(woken.slice(stoppedAt).filter((l) => /"msg":"(ring published|event)"/.test(l))).toEqual([]);
  const thirdTransitions = (await lease()).leaseTransitions!;
  expect(thirdTransitions).toBe(transitionsAfter + 1);

  expect((await api.call('PATCH', ccPath(ns, 'ha'), { spec: { replicas: 4 } }, MERGE)).status).toBe(200);
  const last = await waitLogged(k, 'a ring of 4 active', 180_000, settled(4), () => third.process.exited);
  expect(last.epoch).toBeGreaterThan(after.epoch);
  expect(last.publisher).toEqual({ holder: third.identity, leaseTransitions: thirdTransitions });
  const joiner = k.pods().find((p) => p.name === 'ha-3')!;
  expect(last.members[3]).toEqual({ id: 'ha-3', address: `${joiner.ip}:${joiner.port}`, state: 'active' });
  // Members that joined before keep their DNS names: a ring may mix both.
  expect(last.members[0].address).toBe(`ha-0.ha-nodes.${ns}.svc:8080`);

  // The record lost: with every operator stopped, the ring ConfigMap is deleted and status.ring
  // cleared. A new operator finds the nodes ahead of the record and adopts the newest ring they
  // hold (publishing from nothing would be refused by them), then scales on from it.
  for (const op of operators.splice(0)) await op.process.stop();
  expect((await api.call('DELETE', `/api/v1/namespaces/${ns}/configmaps/ha-ring`)).status).toBe(200);
  const cleared = await api.call('PATCH', `${ccPath(ns, 'ha')}/status`, { status: { ring: null } }, MERGE);
  expect(cleared.status).toBe(200);
  expect(cleared.body.status.ring).toBeUndefined();
  const fourth = await startOperator('operator-4', timing, { nodeArgs: dns.nodeArgs, env: dns.env });
  const adopted = await waitLogged(k, 'the ring adopted', 60_000, async () => readRing(), () => fourth.process.exited);
  expect(adopted).toEqual(last);
  // The Event is written after the record: wait for it rather than read once.
  const adoptedEvents = await waitFor('the RingAdopted Event', 30_000, async () => {
    const items = (await api.get(`/api/v1/namespaces/${ns}/events`))!.body.items.filter(
      (e: { reason: string }) => e.reason === 'RingAdopted',
    );
    return items.length > 0 ? items : undefined;
  });
  expect(adoptedEvents.map((e: { message: string }) => e.message)).toEqual([
    `ring epoch ${last.epoch} adopted from ha-0: the published record (epoch none) was behind the nodes`,
  ]);
  expect((await api.call('PATCH', ccPath(ns, 'ha'), { spec: { replicas: 3 } }, MERGE)).status).toBe(200);
  const resumed = await waitLogged(k, 'a ring of 3 again', 180_000, settled(3), () => fourth.process.exited);
  expect(resumed.epoch).toBeGreaterThan(last.epoch);
  expect(resumed.publisher.holder).toBe('operator-4');
});

test('a missing auth Secret and a refused StatefulSet are reported on the CacheCluster, and nothing claims to have scaled', async () => {
  for (const op of operators.splice(0)) await op.process.stop();
  const op = await startOperator('operator-5');
  await waitFor('operator-5 leads', 60_000, async () => ((await op.isLeader()) ? true : undefined), () => op.process.exited);
  const ns = 'faults';
  await namespace(ns);
  const degraded = (name: string) => degradedMessage(op, ns, name);
  const stsPath = (name: string) => `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`;

  // The pods would mount the user's Secret: while it is missing, the cluster says so and waits.
  expect((await create(ns, 'nosecret', { replicas: 1, replicationFactor: 1, auth: { secretName: 'missing-token' } })).status).toBe(201);
  expect(await degraded('nosecret')).toBe(
    'spec.auth.secretName: Secret faults/missing-token does not exist; the nodes read their token from its "token" key',
  );
  expect(await api.get(stsPath('nosecret'))).toBeUndefined();
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'missing-token' }, stringData: { token: 'a-token-of-sixteen-chars-or-more' } };
  expect((await api.call('POST', `/api/v1/namespaces/${ns}/secrets`, secret)).status).toBe(201);
  await waitFor(
    'the StatefulSet once the Secret exists',
    60_000,
    async () => {
      if ((await api.get(stsPath('nosecret')))?.body.spec.replicas === 1) return true;
      const conditions = (await api.get(ccPath(ns, 'nosecret')))?.body.status?.conditions ?? [];
      throw new Error(JSON.stringify(conditions.map((c: { type: string; message: string }) => `${c.type}: ${c.message}`)));
    },
    () => op.process.exited,
  );

  // A StatefulSet the API server refuses (a toleration operator it does not know): no ScalingUp.
  expect((await create(ns, 'badtol', { replicas: 1, replicationFactor: 1, tolerations: [{ key: 'k', operator: 'Bogus' }] })).status).toBe(201);
  expect(await degraded('badtol')).toContain('StatefulSet');
  // The Event follows the status: wait for it, then look at every Event of the cluster.
  const reasons: string[] = await waitFor('the ReconcileError Event', 30_000, async () => {
    const items = (await api.get(`/api/v1/namespaces/${ns}/events`))!.body.items.filter(
      (e: { involvedObject: { name: string } }) => e.involvedObject.name === 'badtol',
    );
    const all = items.map((e: { reason: string }) => e.reason);
    return all.includes('ReconcileError') ? all : undefined;
  });
  expect(reasons).not.toContain('ScalingUp');
});

test('removing spec.auth.secretName leaves the pods a token to mount; a generated Secret without one is reported', async () => {
  const op = operators.at(-1) ?? (await startOperator('operator-6'));
  await waitFor('an operator leads', 60_000, async () => ((await op.isLeader()) ? true : undefined), () => op.process.exited);
  const ns = 'authswitch';
  await namespace(ns);
  const stsPath = `/apis/apps/v1/namespaces/${ns}/statefulsets/sw`;
  const secretPath = (name: string) => `/api/v1/namespaces/${ns}/secrets/${name}`;
  const userSecret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sw-token' }, stringData: { token: 'a-token-of-sixteen-chars-or-more' } };
  expect((await api.call('POST', `/api/v1/namespaces/${ns}/secrets`, userSecret)).status).toBe(201);
  expect((await create(ns, 'sw', { replicas: 1, replicationFactor: 1, auth: { secretName: 'sw-token' } })).status).toBe(201);
  await waitFor('the StatefulSet of sw', 60_000, async () => ((await api.get(stsPath)) ? true : undefined), () => op.process.exited);

  // Unset: the pods mount key `token` of sw-auth, which must be there (it was once left out).
  expect((await api.call('PATCH', ccPath(ns, 'sw'), { spec: { auth: null } }, MERGE)).status).toBe(200);
  const sources: Array<{ secret: { name: string; items: Array<{ key: string }> } }> = await waitFor(
    'the StatefulSet mounting sw-auth',
    60_000,
    async () => {
      const s = (await api.get(stsPath))!.body.spec.template.spec.volumes[0].projected.sources;
      return s[0].secret.name === 'sw-auth' ? s : undefined;
    },
    () => op.process.exited,
  );
  const data: Record<string, string> = (await api.get(secretPath('sw-auth')))!.body.data;
  for (const { secret } of sources) expect(Object.keys(data)).toContain(secret.items[0].key);
  expect(Buffer.from(data.token, 'base64').toString()).toMatch(/^[\x21-\x7e]{16,}$/);

  // A Secret made that way by an earlier operator: the pass says so and builds nothing.
  const legacy = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'old-auth' }, stringData: { 'peer-token': 'a-peer-token-of-sixteen-chars' } };
  expect((await api.call('POST', `/api/v1/namespaces/${ns}/secrets`, legacy)).status).toBe(201);
  expect((await create(ns, 'old', { replicas: 1, replicationFactor: 1 })).status).toBe(201);
  const message = await degradedMessage(op, ns, 'old');
  expect(message).toBe(
    'Secret authswitch/old-auth has no "token" key (it was generated while spec.auth.secretName named another Secret); the nodes read their token from it once spec.auth.secretName is unset: set spec.auth.secretName again, or add a "token" key of at least 16 characters to it',
  );
  expect(await api.get(`/apis/apps/v1/namespaces/${ns}/statefulsets/old`)).toBeUndefined();
});

test('clusters <a> and <a>-nodes in one namespace: the second is refused its Service, the first keeps it', async () => {
  const op = operators.at(-1) ?? (await startOperator('operator-7'));
  await waitFor('an operator leads', 60_000, async () => ((await op.isLeader()) ? true : undefined), () => op.process.exited);
  const ns = 'names';
  await namespace(ns);
  const svcPath = `/api/v1/namespaces/${ns}/services/col-nodes`;
  expect((await create(ns, 'col', { replicas: 1, replicationFactor: 1 })).status).toBe(201);
  await waitFor('the headless Service of col', 60_000, async () => ((await api.get(svcPath)) ? true : undefined), () => op.process.exited);
  expect((await create(ns, 'col-nodes', { replicas: 1, replicationFactor: 1 })).status).toBe(201);
  const message = await degradedMessage(op, ns, 'col-nodes');
  expect(message).toBe(
    "Service names/col-nodes, this cluster's client Service, is controlled by CacheCluster col: rename this CacheCluster (clusters named <a> and <a>-nodes cannot share a namespace: <a>-nodes is the headless Service of <a>)",
  );
  // Nothing of col-nodes was applied over it: the Service is still col's headless one.
  const svc = (await api.get(svcPath))!.body;
  expect(svc.metadata.ownerReferences.map((r: { name: string }) => r.name)).toEqual(['col']);
  expect(svc.spec.selector['app.kubernetes.io/instance']).toBe('col');
  expect(svc.spec.clusterIP).toBe('None');
});

test('owned objects deleted by hand are put back at once (watched), not at the next resync', async () => {
  const op = operators.at(-1) ?? (await startOperator('operator-7'));
  await waitFor('an operator leads', 60_000, async () => ((await op.isLeader()) ? true : undefined), () => op.process.exited);
  const ns = 'repair';
  await namespace(ns);
  // replicas 0: a steady cluster, with no pass pending or polling (the resync is 60 s).
  expect((await create(ns, 'steady', { replicas: 0, replicationFactor: 1 })).status).toBe(201);
  const owned = [
    `/api/v1/namespaces/${ns}/services/steady`,
    `/api/v1/namespaces/${ns}/services/steady-nodes`,
    `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets/steady`,
  ];
  for (const path of owned) await waitFor(path, 60_000, async () => (await api.get(path))?.body, () => op.process.exited);
  await waitFor('steady settled', 60_000, async () => {
    const s = (await api.get(ccPath(ns, 'steady')))?.body.status;
    return s?.observedGeneration === 1 ? true : undefined;
  });
  for (const path of owned) {
    const before = (await api.get(path))!.body.metadata.uid;
    expect((await api.call('DELETE', path)).status).toBe(200);
    const after = await waitFor(`${path} put back`, 20_000, async () => {
      const uid = (await api.get(path))?.body.metadata.uid;
      return uid !== undefined && uid !== before ? uid : undefined;
    });
    expect(after).not.toBe(before);
  }
});
