/**
 * The generated `<name>-auth` Secret deleted under a running cluster, on a real control plane
 * with the stand-in kubelet syncing Secret volumes into the pods as a kubelet does: the operator
 * generates it anew, every node takes the new tokens from its files without a restart, and the
 * cluster goes on (a scale completes, the data written before is still there). Before nodes
 * re-read their token files, the old members kept the lost tokens, refused the operator and the
 * clients with 401, and the scale waited for ever.
 */
import { httpRequest, waitFor } from './controlplane/http.js';
import { startStandInBed, type StandInBed } from './support/standin-bed.js';

const NS = 'lost-secret';
const CC = `/apis/ringcache.io/v1alpha1/namespaces/${NS}/cacheclusters`;
const SECRET = `/api/v1/namespaces/${NS}/secrets/demo-auth`;
const MERGE = 'application/merge-patch+json';

let bed: StandInBed | undefined;
afterAll(() => bed?.stop());

test('a deleted auth Secret is generated anew and every node, old and new, takes its tokens', async () => {
  bed = await startStandInBed({ namespace: NS, operatorName: 'operator-s', kubelet: { secretSyncMs: 500 } });
  const { api, kubelet, operator } = bed;
  const op = operator;
  const body = { apiVersion: 'ringcache.io/v1alpha1', kind: 'CacheCluster', metadata: { name: 'demo' } };
  const spec = { replicas: 2, replicationFactor: 2, maxMemory: '32Mi' };
  expect((await api.call('POST', CC, { ...body, spec })).status).toBe(201);
  const cluster = async () => (await api.get(`${CC}/demo`))!.body;
  const ready = (replicas: number) => async () => {
    const cc = await cluster();
    const c = (cc.status?.conditions ?? []).find((x: { type: string }) => x.type === 'Ready');
    return c?.status === 'True' && cc.status?.readyReplicas === replicas && cc.status?.observedGeneration === cc.metadata.generation
      ? true
      : undefined;
  };
  await waitFor('demo Ready with 2 pods', 240_000, ready(2), () => op.exited);

  const tokenOf = async (): Promise<string | undefined> => {
    const secret = await api.get(SECRET);
    const data = secret?.body.data?.token as string | undefined;
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
  };
  const oldToken = (await tokenOf())!;
  // httpRequest sends the value as JSON: the stored value is the JSON text "kept".
  const call = (url: string, token: string, method = 'GET', value?: string) =>
    httpRequest(`${url}/v1/keys/before`, { method, body: value, token, timeoutMs: 5000 });
  const [first] = kubelet.pods();
  expect((await call(first.url, oldToken, 'PUT', 'kept')).status).toBe(201);

  expect((await api.call('DELETE', SECRET)).status).toBe(200);
  expect((await api.call('PATCH', `${CC}/demo`, { spec: { replicas: 3 } }, MERGE)).status).toBe(200);

  const newToken = await waitFor('the Secret generated anew', 120_000, async () => {
    const token = await tokenOf();
    return token !== undefined && token !== oldToken ? token : undefined;
  });
  // The scale goes through: the operator reaches the old members with the new peer token.
  await waitFor('demo Ready with 3 pods', 240_000, ready(3), () => op.exited);
  const pods = kubelet.pods();
  expect(pods).toHaveLength(3);
  for (const pod of pods) {
    await waitFor(`${pod.name} to take the new client token`, 60_000, async () =>
      (await call(pod.url, newToken)).status === 200 ? true : undefined,
    );
    expect((await call(pod.url, newToken)).body).toBe(JSON.stringify('kept'));
  }
});
