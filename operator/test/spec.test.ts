import { SpecError, clusterContext, resolveSpec, specWarnings } from '../src/spec.js';
import { API_VERSION, KIND } from '../src/types.js';

function problems(raw: unknown): string[] {
  try {
    resolveSpec(raw);
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  return [];
}

test('an empty or absent spec gets every default', () => {
  const defaults = {
    replicas: 3,
    image: 'ringcache:0.1.0',
    resources: {},
    replicationFactor: 2,
    consistency: 'quorum',
    maxMemory: '256Mi',
    maxMemoryBytes: 256 * 2 ** 20,
    evictionPolicy: 'wtinylfu',
    auth: {},
    placement: {},
  };
  expect(resolveSpec({})).toEqual(defaults);
  expect(resolveSpec(undefined)).toEqual(defaults);
  expect(resolveSpec(null)).toEqual(defaults);
});

test('given fields are kept', () => {
  expect(
    resolveSpec({
      replicas: 5,
      image: 'registry.example/ringcache:1.0',
      resources: { limits: { cpu: '2', memory: '3Gi' }, requests: { cpu: 0.5 } },
      replicationFactor: 3,
      consistency: 'all',
      maxMemory: '2Gi',
      evictionPolicy: 'lru',
      auth: { secretName: 'my-token' },
    }),
  ).toEqual({
    replicas: 5,
    image: 'registry.example/ringcache:1.0',
    resources: { limits: { cpu: '2', memory: '3Gi' }, requests: { cpu: 0.5 } },
    replicationFactor: 3,
    consistency: 'all',
    maxMemory: '2Gi',
    maxMemoryBytes: 2 * 2 ** 30,
    evictionPolicy: 'lru',
    auth: { secretName: 'my-token' },
    placement: {},
  });
});

test('pod placement: pull policy and secrets, node selector, tolerations, affinity, priority class', () => {
  const placement = {
    imagePullPolicy: 'Always',
    imagePullSecrets: [{ name: 'regcred' }],
    nodeSelector: { 'example.com/pool': 'cache' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'cache', effect: 'NoSchedule' }],
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } },
    priorityClassName: 'high-priority',
  };
  expect(resolveSpec(placement).placement).toEqual(placement);
  expect(
    problems({
      imagePullPolicy: 'Sometimes',
      imagePullSecrets: ['regcred'],
      nodeSelector: { pool: 1 },
      tolerations: {},
      affinity: [],
      priorityClassName: 'Not_A_Name',
    }),
  ).toEqual([
    'imagePullPolicy must be one of Always, IfNotPresent, Never, got "Sometimes"',
    'imagePullSecrets must be a list of {name: <Secret name>}',
    'nodeSelector must be a map of label to string value',
    'tolerations must be a list of objects (core/v1 Toleration)',
    'affinity must be an object (core/v1 Affinity)',
    'priorityClassName must be a PriorityClass name, got "Not_A_Name"',
  ]);
});

test('maxMemory: binary and decimal suffixes, from 16Mi to 64Ti', () => {
  expect(resolveSpec({ maxMemory: '16Mi' }).maxMemoryBytes).toBe(16 * 2 ** 20);
  expect(resolveSpec({ maxMemory: '100M' }).maxMemoryBytes).toBe(100e6);
  expect(resolveSpec({ maxMemory: '1.5Gi' }).maxMemoryBytes).toBe(1.5 * 2 ** 30);
  expect(resolveSpec({ maxMemory: '20000000' }).maxMemoryBytes).toBe(20e6);
  expect(problems({ maxMemory: '15Mi' })).toEqual(['maxMemory must be at least 16Mi']);
  expect(resolveSpec({ maxMemory: '64Ti' }).maxMemoryBytes).toBe(64 * 2 ** 40);
  // Beyond it the default memory limit (1.5x + 64Mi) would not be an exact byte count.
  expect(problems({ maxMemory: '99999999999999T' })).toEqual(['maxMemory must be at most 64Ti']);
  for (const bad of ['256MiB', '256mi', '1e9', '500m', '-1Gi', '', 256]) {
    expect(problems({ maxMemory: bad })).toEqual([
      expect.stringContaining('maxMemory must be a byte quantity'),
    ]);
  }
});

test('replicationFactor may not exceed replicas, except at 0', () => {
  expect(problems({ replicas: 1, replicationFactor: 2 })).toEqual([
    'replicationFactor (2) must not exceed replicas (1); only replicas 0 is exempt',
  ]);
  expect(resolveSpec({ replicas: 0, replicationFactor: 3 }).replicas).toBe(0);
  expect(resolveSpec({ replicas: 2, replicationFactor: 2 }).replicationFactor).toBe(2);
});

test('every problem is reported at once', () => {
  expect(
    problems({
      replicas: -1,
      image: '',
      replicationFactor: 6,
      consistency: 'most',
      maxMemory: 'lots',
      evictionPolicy: 'fifo',
      resources: { limits: { memory: '1 GB' }, requests: 'x' },
      auth: { secretName: 'Not_A_Name' },
    }),
  ).toEqual([
    'replicas must be an integer from 0 to 1000, got -1',
    'replicationFactor must be an integer from 1 to 5, got 6',
    'image must be a non-empty string of at most 512 characters, got ""',
    'consistency must be one of one, quorum, all, got "most"',
    'evictionPolicy must be one of lru, wtinylfu, got "fifo"',
    'maxMemory must be a byte quantity such as 256Mi or 2Gi, got "lots"',
    'resources.limits.memory must be a quantity, got "1 GB"',
    'resources.requests must be a map of resource name to quantity',
    'auth.secretName must be a Secret name (DNS subdomain), got "Not_A_Name"',
  ]);
  expect(problems([])).toEqual(['spec must be an object']);
  expect(problems({ replicas: 2.5 })).toEqual([expect.stringContaining('replicas must be an integer')]);
  expect(problems({ resources: { limits: { memory: '-1Gi' } } })).toEqual([
    'resources.limits.memory must not be negative',
  ]);
  expect(
    problems({
      resources: { requests: { memory: '1Gi', cpu: 2 }, limits: { memory: '512Mi', cpu: '2000m' } },
    }),
  ).toEqual(['resources.requests.memory (1Gi) must be at most resources.limits.memory (512Mi)']);
});

test('warnings: a memory limit under maxMemory, and RF 1', () => {
  expect(specWarnings(resolveSpec({}))).toEqual([]);
  expect(specWarnings(resolveSpec({ maxMemory: '1Gi', resources: { limits: { memory: '512Mi' } } }))).toEqual(
    [expect.stringContaining('resources.limits.memory (512Mi) is below maxMemory (1Gi)')],
  );
  expect(specWarnings(resolveSpec({ replicationFactor: 1 }))).toEqual([
    expect.stringContaining('replicationFactor 1 keeps one copy'),
  ]);
});

test('clusterContext reads identity from metadata and resolves the spec', () => {
  const context = clusterContext({
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: { name: 'demo', namespace: 'default', uid: 'u-1', generation: 4 },
  });
  expect(context).toEqual({
    name: 'demo',
    namespace: 'default',
    uid: 'u-1',
    generation: 4,
    spec: resolveSpec({}),
  });
});
