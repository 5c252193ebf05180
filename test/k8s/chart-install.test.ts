/**
 * The chart and k8s/ against a real control plane (etcd, kube-apiserver, kube-controller-manager;
 * no kubelet, so pods are created and stay Pending): helm install and uninstall, server-side apply
 * of k8s/ (real) and of every rendered object (dry run), and the operator's ServiceAccount's
 * permissions checked by the API server's own authorizer.
 */
import { cp as cp_, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from './controlplane/controlplane.js';
import { waitFor } from './controlplane/http.js';
import { chartDir, find, makeHelm, parseManifests, repoRoot, type Helm, type Manifest } from './support/helm.js';
import { kubeApi, objectPath, type KubeApi } from './support/kube-api.js';
import { makeKubectl, type Kubectl } from './support/kubectl.js';
import { ALL_VERBS, OPERATOR_RULES } from './support/rbac.js';

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/cacheclusters.ringcache.io';

let cp: ControlPlane;
let helm: Helm;
let kubectl: Kubectl;
let api: KubeApi;

beforeAll(async () => {
  [cp, helm] = await Promise.all([startControlPlane(), makeHelm()]);
  api = kubeApi(cp.server, cp.token, await readFile(cp.caPath, 'utf8'));
  kubectl = await makeKubectl(cp.kubeconfigPath);
});

afterAll(async () => {
  await helm?.cleanup();
  await kubectl?.cleanup();
  await cp?.stop();
});

const kube = (): string[] => ['--kubeconfig', cp.kubeconfigPath];

async function manifestsOf(file: string): Promise<Manifest[]> {
  return parseManifests(await readFile(join(repoRoot, file), 'utf8'));
}

async function waitEstablished(): Promise<void> {
  await waitFor('the CacheCluster CRD to be Established', 60_000, async () => {
    const crd = await api.get(CRD_PATH);
    const conds: Manifest[] = crd?.body.status?.conditions ?? [];
    return conds.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
}

async function waitGone(path: string): Promise<void> {
  await waitFor(`${path} to be deleted`, 60_000, async () => ((await api.get(path)) === undefined ? true : undefined));
}

test('helm install (CRD from crds/, operator, a CacheCluster), upgrade (CRD untouched) and uninstall (CRD kept)', async () => {
  const ns = 'helm-install';
  const out = await helm.ok([
    'install',
    'cache',
    chartDir,
    ...kube(),
    '--namespace',
    ns,
    '--create-namespace',
    '--set',
    'cacheCluster.enabled=true',
  ]);
  expect(out).toContain('STATUS: deployed');
  // NOTES.txt tells how to reach the cluster and get its token.
  expect(out).toContain(`http://demo.${ns}.svc:8080`);
  expect(out).toContain('kubectl -n helm-install get secret demo-auth');

  await waitEstablished();
  const deployment = `/apis/apps/v1/namespaces/${ns}/deployments/cache-ringcache-operator`;
  const clusterRole = '/apis/rbac.authorization.k8s.io/v1/clusterroles/cache-ringcache-operator';
  const cacheCluster = `/apis/ringcache.io/v1alpha1/namespaces/${ns}/cacheclusters/demo`;
  expect((await api.get(deployment))?.body.spec.replicas).toBe(2);
  expect(await api.get(clusterRole)).toBeDefined();
  // Accepted by the CRD's schema, and defaulted by it.
  const cc = (await api.get(cacheCluster))?.body;
  expect(cc.spec).toMatchObject({ replicas: 3, replicationFactor: 2, image: 'ringcache:0.1.0' });

  const list = await helm.ok(['list', ...kube(), '--namespace', ns, '--output', 'json']);
  expect(JSON.parse(list)).toEqual([expect.objectContaining({ name: 'cache', status: 'deployed' })]);

  // helm upgrade changes the templates' objects and leaves the CRD from crds/ alone, even when the
  // chart's copy changed: here a copy of the chart whose CRD carries one more label.
  const newer = await mkdtemp(join(tmpdir(), 'ringcache-chart-'));
  try {
    await cp_(chartDir, newer, { recursive: true });
    const crdFile = join(newer, 'crds/cacheclusters.ringcache.io.yaml');
    const crdText = await readFile(crdFile, 'utf8');
    const changed = crdText.replace(/^ {2}labels:\n/m, '  labels:\n    ringcache.io/upgraded: "true"\n');
    expect(changed).not.toBe(crdText);
    await writeFile(crdFile, changed);
    await helm.ok(['upgrade', 'cache', newer, ...kube(), '--namespace', ns, '--reuse-values', '--set', 'operator.replicas=3']);
  } finally {
    await rm(newer, { recursive: true, force: true });
  }
  expect((await api.get(deployment))?.body.spec.replicas).toBe(3);
  expect((await api.get(CRD_PATH))?.body.metadata.labels).not.toHaveProperty(['ringcache.io/upgraded']);

  expect(await helm.ok(['uninstall', 'cache', ...kube(), '--namespace', ns])).toContain('uninstalled');
  for (const path of [deployment, clusterRole, cacheCluster]) await waitGone(path);
  expect(await helm.ok(['list', ...kube(), '--namespace', ns, '--output', 'json'])).toBe('[]\n');
  // Helm never deletes what it installed from crds/: CacheClusters of other releases survive.
  expect(await api.get(CRD_PATH)).toBeDefined();
});

test('the README’s kubectl install: apply -f k8s/, wait for the CRD, the example, re-apply server-side', async () => {
  const out = await kubectl.ok(['apply', '-f', 'k8s/']);
  for (const obj of [...(await manifestsOf('k8s/crd.yaml')), ...(await manifestsOf('k8s/operator.yaml'))]) {
    expect(await api.get(objectPath(obj))).toBeDefined();
  }
  // helm install above created the CRD; kubectl takes it over.
  expect(out).toContain('customresourcedefinition.apiextensions.k8s.io/cacheclusters.ringcache.io configured');
  expect(out).toContain('deployment.apps/ringcache-operator created');
  await kubectl.ok(['wait', '--for', 'condition=established', '--timeout=60s', 'crd/cacheclusters.ringcache.io']);
  // The upgrade path the README gives: server-side over a client-side install, without conflicts.
  const again = await kubectl.ok(['apply', '--server-side', '-f', 'k8s/']);
  expect(again).toContain('deployment.apps/ringcache-operator serverside-applied');

  // The namespace enforces the restricted Pod Security profile: the ReplicaSet's pods exist only if
  // the pod template meets it.
  const pods = await waitFor('2 operator pods', 120_000, async () => {
    const r = await api.call(
      'GET',
      '/api/v1/namespaces/ringcache-system/pods?labelSelector=app.kubernetes.io/component%3Doperator',
    );
    return r.body?.items?.length === 2 ? (r.body.items as Manifest[]) : undefined;
  });
  expect(pods.every((p) => p.spec.serviceAccountName === 'ringcache-operator')).toBe(true);

  // The example cluster is accepted by the CRD (client-side apply, as the README has it).
  expect(await kubectl.ok(['apply', '-f', 'k8s/examples/cachecluster.yaml'])).toContain('cachecluster.ringcache.io/demo created');
  expect(await kubectl.ok(['get', 'cachecluster', 'demo', '-o', 'jsonpath={.spec.replicas}'])).toBe('3');

  // The README's troubleshooting command answers as the rules say.
  const canI = async (...args: string[]): Promise<string> =>
    (await kubectl.run(['auth', 'can-i', '--as=system:serviceaccount:ringcache-system:ringcache-operator', ...args])).stdout.trim();
  expect(await canI('create', 'statefulsets.apps', '-n', 'default')).toBe('yes');
  expect(await canI('delete', 'secrets', '-n', 'default')).toBe('no');
});

test('a second operator whose watch overlaps an installed one is refused, saying which and why', async () => {
  // The kubectl install above runs an operator in ringcache-system that watches every namespace.
  const refused = await helm.run([
    'install',
    'second',
    chartDir,
    ...kube(),
    '--namespace',
    'second',
    '--create-namespace',
    '--set',
    'operator.watchNamespace=second',
  ]);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(
    'the ringcache operator of release "ringcache" in namespace "ringcache-system" already watches every namespace; ' +
      'a second operator watching namespace "second" would lead beside it. Give each release its own ' +
      'operator.watchNamespace, or upgrade that release instead',
  );
  expect(await api.get('/apis/apps/v1/namespaces/second/deployments/second-ringcache-operator')).toBeUndefined();
});

test('NOTES.txt without a CacheCluster tells how to create one, reach it and get its token', async () => {
  // Client-side: the operator installed from k8s/ above would make the single-operator guard refuse it.
  const out = await helm.ok(['install', 'notes', chartDir, ...kube(), '--namespace', 'notes', '--dry-run=client']);
  expect(out).toContain('It reconciles CacheClusters in every namespace.');
  expect(out).toContain('kind: CacheCluster');
  expect(out).toContain('image: ringcache:0.1.0');
  expect(out).toContain('kubectl -n default scale cachecluster demo --replicas=5');
  expect(out).toContain('http://demo.default.svc:8080');
  expect(out).toContain("TOKEN=$(kubectl -n default get secret demo-auth -o jsonpath='{.data.token}' | base64 -d)");
});

test('NOTES.txt with operator.watchNamespace points at the watched namespace, where the CacheCluster is', async () => {
  const args = ['install', 'watched', chartDir, ...kube(), '--namespace', 'ops', '--dry-run=client', '--set', 'operator.watchNamespace=apps'];
  const out = await helm.ok([...args, '--set', 'cacheCluster.enabled=true']);
  expect(out).toContain('It reconciles CacheClusters in apps.');
  expect(out).toContain('CacheCluster demo was created with the release, in namespace apps:');
  expect(out).toContain('kubectl -n apps wait --for=condition=Ready cachecluster/demo --timeout=5m');
  expect(out).toContain('helm test watched -n ops');
  expect(out).toContain('http://demo.apps.svc:8080');
  expect(out).toContain("TOKEN=$(kubectl -n apps get secret demo-auth -o jsonpath='{.data.token}' | base64 -d)");
  const created = await helm.ok(args);
  expect(created).toContain('metadata: { name: demo, namespace: apps }');
  expect(created).toContain('kubectl -n apps wait --for=condition=Ready cachecluster/demo --timeout=5m');
});

test('every object of the chart with every option on passes a server-side dry run', async () => {
  const ns = 'dry-run';
  await api.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
  const objs = parseManifests(
    await helm.ok(['template', 'dry', chartDir, '--namespace', ns, '-f', join(chartDir, 'ci/all-on-values.yaml')]),
  );
  // The values watch one namespace: the operator's rules are a Role there, and the chart's
  // CacheCluster and its test pod go there, so it must exist.
  const watched = find(objs, 'Deployment').metadata.annotations!['ringcache.io/watch-namespace'];
  expect(watched).toBe('apps');
  await api.apply({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: watched, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
  });
  // No Prometheus Operator here: the ServiceMonitor's kind is unknown to this API server.
  const rest = objs.filter((o) => o.kind !== 'ServiceMonitor');
  expect(rest.length).toBe(objs.length - 1);
  // The test pod is dry-run directly: Pod Security admission checks it against `restricted`.
  expect(find(rest, 'Pod').metadata.namespace).toBe(watched);
  expect(find(rest, 'CacheCluster').metadata.namespace).toBe(watched);
  for (const obj of rest) await api.apply(obj, { dryRun: true });
  // The control: the same pod made privileged is refused, so the dry run above did check it.
  const privileged = structuredClone(find(rest, 'Pod'));
  privileged.spec.containers[0].securityContext = { privileged: true };
  await expect(api.apply(privileged, { dryRun: true })).rejects.toThrow(/violates PodSecurity .*restricted:latest.*privileged/);
  // A dry run stores nothing.
  expect(await api.get(objectPath(find(rest, 'Deployment')))).toBeUndefined();
});

test('the operator’s ServiceAccount may do exactly what its rules list', async () => {
  // Applied from k8s/ by the kubectl test above; the API server authorizes with the SA's own token.
  const sa = await cp.serviceAccountKubeconfig('ringcache-system', 'ringcache-operator');
  const token: string | undefined = JSON.parse(await readFile(sa, 'utf8')).users[0]?.user?.token;
  if (!token) throw new Error(`no token in ${sa}`);
  const asOperator = kubeApi(cp.server, token, await readFile(cp.caPath, 'utf8'));
  const can = async (group: string, resource: string, verb: string, namespace: string): Promise<boolean> => {
    const [res, sub] = resource.split('/');
    const r = await asOperator.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { group, resource: res, subresource: sub ?? '', verb, namespace } },
    });
    if (r.status !== 201) throw new Error(`SelfSubjectAccessReview: ${r.status} ${r.text}`);
    return r.body.status.allowed === true;
  };

  const wrong: string[] = [];
  for (const rule of OPERATOR_RULES) {
    // Cluster rules hold in any namespace; the Lease rule only in the operator's own.
    const namespaces = rule.scope === 'cluster' ? ['apps', 'default'] : ['ringcache-system'];
    for (const namespace of namespaces) {
      for (const verb of ALL_VERBS) {
        const allowed = await can(rule.group, rule.resource, verb, namespace);
        if (allowed !== rule.verbs.includes(verb)) {
          wrong.push(`${verb} ${rule.group}/${rule.resource} in ${namespace}: ${allowed ? 'allowed' : 'denied'}`);
        }
      }
    }
  }
  expect(wrong).toEqual([]);

  // Nothing beyond the rules: Leases elsewhere, other resources, cluster-scoped ones.
  const denied: [string, string, string, string][] = [
    ['coordination.k8s.io', 'leases', 'get', 'kube-system'],
    ['coordination.k8s.io', 'leases', 'update', 'default'],
    ['', 'secrets', 'delete', 'default'],
    ['', 'secrets', 'update', 'default'],
    ['', 'pods', 'delete', 'default'],
    ['', 'pods/exec', 'create', 'default'],
    ['apps', 'deployments', 'create', 'default'],
    ['', 'nodes', 'delete', ''],
    ['', 'namespaces', 'create', ''],
    ['rbac.authorization.k8s.io', 'clusterroles', 'update', ''],
    ['apiextensions.k8s.io', 'customresourcedefinitions', 'update', ''],
  ];
  const granted = [];
  for (const [group, resource, verb, namespace] of denied) {
    if (await can(group, resource, verb, namespace)) granted.push(`${verb} ${group}/${resource} in ${namespace}`);
  }
  expect(granted).toEqual([]);
});
