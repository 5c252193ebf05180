/**
 * The Helm chart as the real helm renders it (no cluster needed): lint, defaults, every option on,
 * the values schema, the RBAC rules, and k8s/ against a fresh render.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolPath } from './support/tools.js';
import { chartDir, find, makeHelm, parseManifests, repoRoot, type Helm, type Manifest } from './support/helm.js';
import { OPERATOR_RULES } from './support/rbac.js';

const allOn = join(chartDir, 'ci/all-on-values.yaml');
let helm: Helm;

beforeAll(async () => {
  helm = await makeHelm();
});

afterAll(async () => {
  await helm?.cleanup();
});

async function render(...args: string[]): Promise<Manifest[]> {
  return parseManifests(await helm.ok(['template', 'rel', chartDir, '--namespace', 'ns', ...args]));
}

function container(deployment: Manifest): Manifest {
  return deployment.spec.template.spec.containers[0];
}

test('helm lint --strict passes with the defaults and with every option on', async () => {
  const plain = await helm.run(['lint', '--strict', chartDir]);
  expect(plain.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  expect(plain.code).toBe(0);
  const all = await helm.run(['lint', '--strict', chartDir, '-f', allOn]);
  expect(all.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
  expect(all.code).toBe(0);
});

test('the defaults render the operator: Deployment, its PodDisruptionBudget, ServiceAccount, RBAC, metrics Service, nothing optional', async () => {
  const objs = await render();
  expect(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
    'ClusterRole/rel-ringcache-operator',
    'ClusterRoleBinding/rel-ringcache-operator',
    'Deployment/rel-ringcache-operator',
    'PodDisruptionBudget/rel-ringcache-operator',
    'Role/rel-ringcache-operator-leader-election',
    'RoleBinding/rel-ringcache-operator-leader-election',
    'Service/rel-ringcache-operator-metrics',
    'ServiceAccount/rel-ringcache-operator',
  ]);
  for (const o of objs) {
    expect(o.metadata.labels).toMatchObject({
      'app.kubernetes.io/name': 'ringcache',
      'app.kubernetes.io/instance': 'rel',
      'app.kubernetes.io/managed-by': 'Helm',
      'helm.sh/chart': 'ringcache-0.1.0',
    });
  }

  const dep = find(objs, 'Deployment');
  expect(dep.metadata.namespace).toBe('ns');
  expect(dep.spec.replicas).toBe(2);
  // The selector keeps operator pods apart from cache node pods (name ringcache, instance <cluster>).
  expect(dep.spec.selector.matchLabels).toEqual({
    'app.kubernetes.io/name': 'ringcache',
    'app.kubernetes.io/instance': 'rel',
    'app.kubernetes.io/component': 'operator',
  });
  const pod = dep.spec.template.spec;
  expect(pod.serviceAccountName).toBe('rel-ringcache-operator');
  expect(pod.securityContext).toEqual({
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  const c = container(dep);
  expect(c.image).toBe('ringcache:0.1.0');
  expect(c.args).toEqual([
    'operator',
    '--metrics-port=9090',
    '--lease-name=rel-ringcache-operator',
    '--lease-namespace=$(POD_NAMESPACE)',
    '--log-level=info',
  ]);
  expect(c.securityContext).toEqual({
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(c.env).toEqual(
    expect.arrayContaining([
      { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
    ]),
  );
  expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
  expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  expect(c.resources.requests).toEqual({ cpu: '50m', memory: '96Mi' });
  expect(c.resources.limits).toEqual({ memory: '256Mi' });

  const svc = find(objs, 'Service');
  expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
  // Two replicas: a drain evicts one at a time, the other keeps (or takes) the Lease.
  const pdb = find(objs, 'PodDisruptionBudget');
  expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: dep.spec.selector.matchLabels } });
  expect(
    (await render('--set', 'operator.replicas=1')).map((o) => o.kind),
  ).not.toContain('PodDisruptionBudget');
  expect(svc.spec.ports).toEqual([{ name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }]);
});

test('the ClusterRole and the Lease Role grant exactly the operator’s rules', async () => {
  const objs = await render();
  const flat = (rules: Manifest[]): string[] =>
    rules.flatMap((r: Manifest) =>
      (r.apiGroups as string[]).flatMap((g) =>
        (r.resources as string[]).map((res) => `${g}/${res}: ${[...r.verbs].sort().join(',')}`),
      ),
    );
  const expected = OPERATOR_RULES.filter((r) => r.scope === 'cluster').map(
    (r) => `${r.group}/${r.resource}: ${[...r.verbs].sort().join(',')}`,
  );
  expect(flat(find(objs, 'ClusterRole').rules).sort()).toEqual(expected.sort());
  expect(flat(find(objs, 'Role').rules)).toEqual(['coordination.k8s.io/leases: create,get,update']);
  expect(find(objs, 'Role').metadata.namespace).toBe('ns');
  for (const binding of [find(objs, 'ClusterRoleBinding'), find(objs, 'RoleBinding')]) {
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-ringcache-operator', namespace: 'ns' }]);
  }
});

test('with operator.watchNamespace the rules are a Role in that namespace, not cluster-wide', async () => {
  const objs = await render('--set', 'operator.watchNamespace=apps');
  expect(objs.map((o) => o.kind)).not.toContain('ClusterRole');
  expect(objs.map((o) => o.kind)).not.toContain('ClusterRoleBinding');
  const role = objs.find((o) => o.kind === 'Role' && o.metadata.name === 'rel-ringcache-operator')!;
  expect(role.metadata.namespace).toBe('apps');
  const expected = OPERATOR_RULES.filter((r) => r.scope === 'cluster').map(
    (r) => `${r.group}/${r.resource}: ${[...r.verbs].sort().join(',')}`,
  );
  const flat = (role.rules as Manifest[]).flatMap((r: Manifest) =>
    (r.apiGroups as string[]).flatMap((g) =>
      (r.resources as string[]).map((res) => `${g}/${res}: ${[...r.verbs].sort().join(',')}`),
    ),
  );
  expect(flat.sort()).toEqual(expected.sort());
  const binding = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'rel-ringcache-operator')!;
  expect(binding.metadata.namespace).toBe('apps');
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'rel-ringcache-operator' });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'rel-ringcache-operator', namespace: 'ns' }]);
});

test('every option on: ServiceMonitor, dashboard, CacheCluster and the helm test pod', async () => {
  const objs = await render('-f', allOn);
  expect(objs.map((o) => o.kind).sort()).toEqual([
    'CacheCluster',
    'ConfigMap',
    'Deployment',
    'Pod',
    'PodDisruptionBudget',
    'Role',
    'Role',
    'RoleBinding',
    'RoleBinding',
    'Service',
    'ServiceAccount',
    'ServiceMonitor',
  ]);

  const dep = find(objs, 'Deployment');
  const c = container(dep);
  expect(dep.metadata.name).toBe('rc-operator');
  expect(dep.spec.replicas).toBe(3);
  expect(c.image).toBe('registry.example.com/ringcache:0.1.0-test');
  expect(c.imagePullPolicy).toBe('Always');
  expect(c.args).toEqual([
    'operator',
    '--metrics-port=9191',
    '--lease-name=rc-leader',
    '--lease-namespace=$(POD_NAMESPACE)',
    '--namespace=apps',
    '--log-level=debug',
    '--resync-ms=300000',
  ]);
  const pod = dep.spec.template.spec;
  expect(pod.serviceAccountName).toBe('rc-operator-sa');
  expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  expect(pod.priorityClassName).toBe('system-cluster-critical');
  expect(pod.tolerations[0].key).toBe('dedicated');
  // A given affinity replaces the default anti-affinity.
  expect(Object.keys(pod.affinity)).toEqual(['nodeAffinity']);
  expect(dep.spec.template.metadata.labels['example.com/tier']).toBe('platform');
  expect(dep.spec.template.metadata.annotations).toEqual({ 'example.com/team': 'cache' });

  const monitor = find(objs, 'ServiceMonitor');
  expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(monitor.metadata.labels?.release).toBe('prometheus');
  expect(monitor.spec.selector.matchLabels).toEqual(find(objs, 'Service').spec.selector);
  expect(monitor.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '15s', scrapeTimeout: '5s' }]);

  // The operator watches only namespace apps: the chart's cluster and its test pod go there.
  const cluster = find(objs, 'CacheCluster');
  expect(cluster.metadata).toMatchObject({ name: 'orders', namespace: 'apps' });
  expect(cluster.spec).toEqual({
    image: 'registry.example.com/ringcache:0.1.0-test',
    // The chart's pull secrets reach the cache nodes' pods through the spec.
    imagePullSecrets: [{ name: 'regcred' }],
    replicas: 5,
    replicationFactor: 3,
    consistency: 'all',
    maxMemory: '1Gi',
    evictionPolicy: 'lru',
    resources: { requests: { cpu: '250m' }, limits: { memory: '2Gi' } },
    auth: { secretName: 'orders-token' },
  });

  const test = find(objs, 'Pod');
  expect(test.metadata.namespace).toBe('apps');
  expect(test.metadata.annotations?.['helm.sh/hook']).toBe('test');
  const tc = test.spec.containers[0];
  expect(tc.image).toBe('registry.example.com/ringcache:0.1.0-test');
  expect(tc.env).toEqual(
    expect.arrayContaining([
      { name: 'CLUSTER_HOST', value: 'orders.apps.svc:8080' },
      { name: 'RINGCACHE_TOKEN', valueFrom: { secretKeyRef: { name: 'orders-token', key: 'token' } } },
    ]),
  );
  expect(tc.securityContext).toEqual(c.securityContext);
});

test('the helm test pod reads the generated token Secret when the cluster names none', async () => {
  const objs = await render('--set', 'cacheCluster.enabled=true');
  const env = find(objs, 'Pod').spec.containers[0].env;
  expect(env).toContainEqual({
    name: 'RINGCACHE_TOKEN',
    valueFrom: { secretKeyRef: { name: 'demo-auth', key: 'token' } },
  });
  expect(find(objs, 'CacheCluster').spec.image).toBe('ringcache:0.1.0');
  expect(find(objs, 'CacheCluster').spec.imagePullSecrets).toBeUndefined();
  // Watching every namespace, the cluster and its test pod stay in the release namespace.
  expect(find(objs, 'CacheCluster').metadata.namespace).toBe('ns');
  expect(find(objs, 'Pod').metadata.namespace).toBe('ns');
  expect(env).toContainEqual({ name: 'CLUSTER_HOST', value: 'demo.ns.svc:8080' });
});

test('names stay within 63 characters: the metrics Service at the longest fullnameOverride and release name', async () => {
  const longest = 'f'.repeat(46);
  const byOverride = find(await render('--set', `fullnameOverride=${longest}`), 'Service').metadata.name;
  expect(byOverride).toBe(`${longest}-operator-metrics`);
  expect(byOverride.length).toBe(63);
  const tooLong = await helm.run(['template', 'rel', chartDir, '--set', `fullnameOverride=${longest}f`]);
  expect(tooLong.code).not.toBe(0);
  expect(tooLong.stderr).toContain("at '/fullnameOverride': maxLength: got 47, want 46");
  // Helm allows release names of 53 characters: the operator's name is cut to 63, and the
  // Service's base to 55 before "-metrics".
  const release = 'r'.repeat(53);
  const objs = parseManifests(await helm.ok(['template', release, chartDir, '--namespace', 'ns']));
  // (A Service name is a DNS label; the other kinds allow 253.)
  expect(find(objs, 'Deployment').metadata.name).toBe(`${release}-ringcache`);
  expect(find(objs, 'Service').metadata.name).toBe(`${release}-r-metrics`);
});

test('a release name with dots (which helm allows) gives names without dots, so the metrics Service is valid', async () => {
  const objs = parseManifests(await helm.ok(['template', 'team.cache', chartDir, '--namespace', 'ns']));
  expect(find(objs, 'Service').metadata.name).toBe('team-cache-ringcache-operator-metrics');
  for (const obj of objs) expect(obj.metadata.name).not.toContain('.');
});

test('a CacheCluster whose replicationFactor exceeds its replicas fails the render, before anything is installed', async () => {
  const on = ['--set', 'cacheCluster.enabled=true'];
  const refused = await helm.run(['template', 'rel', chartDir, ...on, '--set', 'cacheCluster.spec.replicas=1']);
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(
    'cacheCluster.spec.replicationFactor (2) must not exceed cacheCluster.spec.replicas (1)',
  );
  // replicas 0 stops the cluster and is exempt, as in the CRD's rule; RF 4 of 5 is fine.
  await render(...on, '--set', 'cacheCluster.spec.replicas=0');
  const cluster = find(
    await render(...on, '--set', 'cacheCluster.spec.replicas=5', '--set', 'cacheCluster.spec.replicationFactor=4'),
    'CacheCluster',
  );
  expect(cluster.spec.replicationFactor).toBe(4);
});

test('the dashboard is valid JSON and shows only metrics the node exports', async () => {
  const objs = await render('--set', 'dashboard.enabled=true');
  const cm = find(objs, 'ConfigMap');
  expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
  const dashboard = JSON.parse(cm.data['ringcache.json']);
  const exprs: string[] = dashboard.panels.flatMap((p: Manifest) => (p.targets ?? []).map((t: Manifest) => t.expr));
  const used = new Set(exprs.join(' ').match(/ringcache_[a-z_]+/g));
  for (const m of [
    'ringcache_cache_hits_total',
    'ringcache_cache_misses_total',
    'ringcache_cache_window_share',
    'ringcache_http_request_duration_seconds',
  ]) {
    expect([...used].some((u) => u.startsWith(m))).toBe(true);
  }
  // Each name (histogram suffixes stripped) must be one the node's sources define.
  const sources = await readSources(['node/src']);
  const unknown = [...used].map((u) => u.replace(/_(bucket|sum|count)$/, '')).filter((u) => !sources.includes(`'${u}'`));
  expect(unknown).toEqual([]);
  expect(exprs.some((e) => e.includes('operator-metrics'))).toBe(true);
});

async function readSources(paths: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('grep', ['-rh', 'ringcache_', ...paths], { cwd: repoRoot });
  return stdout;
}

test.each([
  [['--set', 'operator.replicas=-1'], "at '/operator/replicas': minimum: got -1, want 0"],
  [['--set', 'operator.replicaCount=2'], "at '/operator': additional properties 'replicaCount' not allowed"],
  [['--set', 'cacheCluster.spec.consistency=most'], "at '/cacheCluster/spec/consistency': value must be one of"],
  [['--set', 'cacheCluster.spec.replicationFactor=6'], "at '/cacheCluster/spec/replicationFactor': maximum: got 6, want 5"],
  [['--set', 'cacheCluster.name=Demo'], "at '/cacheCluster/name'"],
  [['--set', 'operator.metricsPort=http'], "at '/operator/metricsPort'"],
  [['--set', 'image.pullPolicy=Sometimes'], "at '/image/pullPolicy': value must be one of"],
])('values.schema.json refuses %j with a message naming the value', async (args, message) => {
  const r = await helm.run(['template', 'rel', chartDir, ...args]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain("values don't meet the specifications of the schema(s)");
  expect(r.stderr).toContain(message);
});

test('k8s/ and the chart’s CRD match a fresh render of the one source', async () => {
  const crd = await readFile(join(repoRoot, 'operator/crd/cacheclusters.ringcache.io.yaml'), 'utf8');
  expect(await readFile(join(chartDir, 'crds/cacheclusters.ringcache.io.yaml'), 'utf8')).toBe(crd);
  const k8sCrd = await readFile(join(repoRoot, 'k8s/crd.yaml'), 'utf8');
  expect(k8sCrd.slice(k8sCrd.indexOf('\n') + 1)).toBe(crd);

  // generate.sh --check renders into a temp dir and diffs every generated file.
  const r = await promisify(execFile)('bash', [join(repoRoot, 'scripts/k8s/generate.sh'), '--check'], {
    cwd: repoRoot,
  }).then(
    (out) => ({ code: 0, stderr: out.stderr, stdout: out.stdout }),
    (err) => ({ code: err.code as number, stderr: String(err.stderr), stdout: String(err.stdout) }),
  );
  if (r.code !== 0) throw new Error(`k8s/ drifted from the chart:\n${r.stdout}${r.stderr}`);

  const operator = parseManifests(await readFile(join(repoRoot, 'k8s/operator.yaml'), 'utf8'));
  expect(operator.map((o) => o.kind)).toEqual([
    'Namespace',
    'PodDisruptionBudget',
    'ServiceAccount',
    'ClusterRole',
    'ClusterRoleBinding',
    'Role',
    'RoleBinding',
    'Service',
    'Deployment',
  ]);
  expect(operator.every((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'Helm')).toBe(true);
});

test.each(['helm', 'kubectl'] as const)('the tests use the %s its build.sh made, at the pinned version', async (tool) => {
  // build.sh has run before this suite (npm run test:k8s), so this call only reports the cached binary.
  const { stdout } = await promisify(execFile)('bash', [join(repoRoot, `scripts/${tool}/build.sh`)]);
  const lines = stdout.trimEnd().split('\n');
  const bin = await toolPath(tool);
  expect(lines[lines.length - 2]).toBe(bin);
  expect(lines[lines.length - 1]).toMatch(new RegExp(`^${tool}_build_seconds=\\d+$`));
  const versionFile = await readFile(join(repoRoot, `scripts/${tool}/version.env`), 'utf8');
  const pinned = new RegExp(`${tool.toUpperCase()}_VERSION=(\\S+)`).exec(versionFile)?.[1];
  const args = tool === 'helm' ? ['version', '--short'] : ['version', '--client'];
  const { stdout: version } = await promisify(execFile)(bin, args);
  expect(version).toContain(pinned);
});

test('values.schema.json holds cacheCluster.spec to the CRD’s own bounds', async () => {
  const crd = parseManifests(await readFile(join(repoRoot, 'operator/crd/cacheclusters.ringcache.io.yaml'), 'utf8'))[0];
  const crdSpec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
  const schema = JSON.parse(await readFile(join(chartDir, 'values.schema.json'), 'utf8'));
  const valuesSpec = schema.properties.cacheCluster.properties.spec.properties;
  expect(Object.keys(valuesSpec).sort()).toEqual(Object.keys(crdSpec).sort());
  const bounds = ['minimum', 'maximum', 'enum', 'pattern', 'minLength', 'maxLength'];
  for (const field of Object.keys(crdSpec)) {
    for (const bound of bounds) {
      // An empty image stands for the chart's own image (the template fills it in).
      if (field === 'image' && bound === 'minLength') continue;
      if (crdSpec[field][bound] !== undefined) expect([field, bound, valuesSpec[field][bound]]).toEqual([field, bound, crdSpec[field][bound]]);
    }
  }
  const secretName = crdSpec.auth.properties.secretName;
  const valuesSecretName = valuesSpec.auth.properties.secretName;
  for (const bound of bounds) expect(valuesSecretName[bound]).toEqual(secretName[bound]);
});

test("the Deployment's command is one the operator accepts, with every option on", async () => {
  const { parseOperatorConfig } = await import('../../operator/src/config.js');
  for (const values of [[], ['-f', allOn]]) {
    const c = container(find(await render(...values), 'Deployment'));
    const env = { POD_NAMESPACE: 'ringcache-system', POD_NAME: 'ringcache-operator-0' };
    // Kubernetes expands $(VAR) from the container's env before the process sees it.
    const argv = (c.args as string[]).slice(1).map((a) => a.replace(/\$\(([A-Z_]+)\)/g, (_m, v: string) => env[v as keyof typeof env]));
    expect(c.args[0]).toBe('operator');
    const config = parseOperatorConfig(argv, { env });
    expect(config).not.toBe('help');
    expect(config).toMatchObject({ leaseNamespace: 'ringcache-system' });
  }
});
