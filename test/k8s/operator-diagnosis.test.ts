/**
 * What a stuck scale tells its user, on a real control plane with the stand-in kubelet running the
 * pods as cache nodes: members the operator cannot ask (here: the client token rotated in the
 * Secret, which this stand-in kubelet does not sync into running pods, as a kubelet has not in
 * the minute before its sync: the nodes answer 401) are named with the reason
 * in the Progressing condition and the Waiting Event, instead of passing for hand-offs that never
 * finish; and the operator's ringcache_operator_cluster_condition gauge shows it for alerts.
 */
import { httpRequest, waitFor } from './controlplane/http.js';
import { freePorts } from './controlplane/ports.js';
import { startStandInBed, type StandInBed } from './support/standin-bed.js';

const NS = 'stuck';
const CC = `/apis/ringcache.io/v1alpha1/namespaces/${NS}/cacheclusters`;
const MERGE = 'application/merge-patch+json';

let bed: StandInBed | undefined;
afterAll(() => bed?.stop());

interface Condition {
  type: string;
  status: string;
  message: string;
}

test('a scale stuck on members that refuse the operator names them and why; the condition gauge shows it', async () => {
  const [metricsPort] = await freePorts(1);
  bed = await startStandInBed({
    namespace: NS,
    operatorName: 'operator-d',
    operatorArgs: ['--metrics-host=127.0.0.1', `--metrics-port=${metricsPort}`],
  });
  const { api, operator } = bed;
  /** The cluster's condition gauge by type, from the operator's /metrics. */
  const gauge = async (): Promise<Record<string, number>> => {
    const { body } = await httpRequest(`http://127.0.0.1:${metricsPort}/metrics`, { timeoutMs: 5000 });
    const samples = body.split('\n').filter((l) => l.startsWith('ringcache_operator_cluster_condition{'));
    return Object.fromEntries(
      samples
        .filter((l) => l.includes(`namespace="${NS}"`) && l.includes('cluster="demo"'))
        .map((l) => [/type="(\w+)"/.exec(l)![1], Number(l.slice(l.lastIndexOf(' ') + 1))]),
    );
  };
  const op = operator;
  const body = { apiVersion: 'ringcache.io/v1alpha1', kind: 'CacheCluster', metadata: { name: 'demo' } };
  const spec = { replicas: 2, replicationFactor: 1, maxMemory: '32Mi' };
  expect((await api.call('POST', CC, { ...body, spec })).status).toBe(201);
  const conditions = async (): Promise<Condition[]> => (await api.get(`${CC}/demo`))!.body.status?.conditions ?? [];
  const condition = async (type: string) => (await conditions()).find((c) => c.type === type);
  await waitFor('demo Ready', 240_000, async () => ((await condition('Ready'))?.status === 'True' ? true : undefined), () => op.exited);

  await waitFor('the Ready gauge at 1', 30_000, async () => ((await gauge()).Ready === 1 ? true : undefined));
  expect(await gauge()).toEqual({ Available: 1, Progressing: 0, Degraded: 0, RingConverged: 1, Ready: 1 });

  const rotated = { stringData: { token: 'a-rotated-token-of-sixteen-chars' } };
  expect((await api.call('PATCH', `/api/v1/namespaces/${NS}/secrets/demo-auth`, rotated, MERGE)).status).toBe(200);
  expect((await api.call('PATCH', `${CC}/demo`, { spec: { replicas: 3 } }, MERGE)).status).toBe(200);

  const refused = /no status from demo-0: GET \/v1\/status: 401 UNAUTHORIZED: .+; demo-1: GET \/v1\/status: 401 UNAUTHORIZED: /;
  const progressing = await waitFor(
    'Progressing to name the members that refuse the operator',
    120_000,
    async () => {
      const c = await condition('Progressing');
      return c?.status === 'True' && refused.test(c.message) ? c.message : undefined;
    },
    () => op.exited,
  );
  expect(progressing).toMatch(/^waiting for demo-0, demo-1 to finish the hand-off of epoch \d+/);
  const events = (await api.get(`/api/v1/namespaces/${NS}/events`))!.body.items as Array<{ reason: string; message: string }>;
  expect(events.some((e) => e.reason === 'Waiting' && refused.test(e.message))).toBe(true);
  // Refusing the operator is something for a person, not a wait: Degraded says who and why.
  const degraded = await waitFor('Degraded to name the refusing members', 60_000, async () => {
    const c = await condition('Degraded');
    return c?.status === 'True' ? c : undefined;
  });
  expect(degraded.message).toMatch(/^demo-0, demo-1 refused the operator's token \(GET \/v1\/status: 401 UNAUTHORIZED: /);
  // What an alert on a stuck scale reads: Progressing held at 1, Ready at 0.
  await waitFor('the gauges', 30_000, async () => ((await gauge()).Degraded === 1 ? true : undefined));
  expect(await gauge()).toMatchObject({ Progressing: 1, Degraded: 1, Ready: 0 });
});
