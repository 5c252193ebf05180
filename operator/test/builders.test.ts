/**
 * Golden tests of the builders: each built object must equal its JSON file in golden/, so any
 * change to what the operator would apply shows up as a diff to review. After an intended change:
 *   UPDATE_GOLDEN=1 npm test -- operator/test/builders.test.ts
 * then read the diff of operator/test/golden/ before committing it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parseRingDocument, type RingDocument } from '../../node/src/ring/document.js';
import {
  authSecret,
  clientService,
  containerResources,
  defaultMemoryLimitBytes,
  headlessService,
  maxUnavailable,
  memberAddress,
  memberId,
  ordinalOf,
  podDisruptionBudget,
  ringConfigMap,
  selectorString,
  statefulSet,
  tokenFromBytes,
} from '../src/builders/index.js';
import { resolveSpec } from '../src/spec.js';
import type { CacheClusterSpec, ClusterContext } from '../src/types.js';

const goldenDir = fileURLToPath(new URL('./golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

function cluster(name: string, namespace: string, spec: CacheClusterSpec): ClusterContext {
  return { name, namespace, uid: `uid-of-${name}`, generation: 3, spec: resolveSpec(spec) };
}

/** Every default. */
const demo = cluster('demo', 'default', {});
/** Every field set, the clients' token in the user's own Secret. */
const orders = cluster('orders', 'shop', {
  replicas: 5,
  image: 'registry.example/ringcache:1.2.0',
  resources: { limits: { cpu: '2' }, requests: { cpu: '500m', memory: '2Gi' } },
  replicationFactor: 3,
  consistency: 'one',
  maxMemory: '1Gi',
  evictionPolicy: 'lru',
  auth: { secretName: 'orders-client-token' },
});

const tokens = { token: 'client-token-0123456789abcdef', peerToken: 'peer-token-0123456789abcdef' };

const demoRing: RingDocument = {
  epoch: 7,
  replicationFactor: 2,
  members: [0, 1, 2].map((i) => ({
    id: memberId('demo', i),
    address: memberAddress('demo', 'default', i),
    state: 'active' as const,
  })),
  publisher: { holder: 'ringcache-operator-7d9c-x2', leaseTransitions: 3 },
};

const cases: [string, () => unknown][] = [
  ['demo-statefulset', () => statefulSet(demo, { replicas: 3 })],
  ['demo-headless-service', () => headlessService(demo)],
  ['demo-client-service', () => clientService(demo)],
  ['demo-ring-configmap', () => ringConfigMap(demo, demoRing)],
  ['demo-pdb', () => podDisruptionBudget(demo)],
  ['demo-auth-secret', () => authSecret(demo, tokens)],
  ['orders-statefulset', () => statefulSet(orders, { replicas: 4 })],
  ['orders-pdb', () => podDisruptionBudget(orders)],
  ['orders-auth-secret', () => authSecret(orders, tokens)],
];

describe('golden files', () => {
  test.each(cases)('%s', async (name, build) => {
    const path = `${goldenDir}${name}.json`;
    // Through JSON, as the object would go to the API server (undefined fields vanish).
    const built = JSON.parse(JSON.stringify(build()));
    if (update || !existsSync(path)) {
      if (!update) throw new Error(`${path} is missing: run with UPDATE_GOLDEN=1 and review it`);
      const options = await resolveConfig(path);
      writeFileSync(path, await format(JSON.stringify(built), { ...options, parser: 'json' }));
    }
    expect(built).toStrictEqual(JSON.parse(readFileSync(path, 'utf8')));
  });
});

describe('statefulSet', () => {
  const sts = statefulSet(demo, { replicas: 3 });
  const pod = sts.spec!.template.spec!;
  const container = pod.containers[0];

  test('runs under the restricted Pod Security Standard', () => {
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes!.every((v) => v.hostPath === undefined)).toBe(true);
    expect(container.ports!.every((p) => p.hostPort === undefined)).toBe(true);
  });

  test('takes its replicas from the scaling decision, not from spec.replicas', () => {
    expect(statefulSet(orders, { replicas: 7 }).spec!.replicas).toBe(7);
    expect(statefulSet(orders, { replicas: 0 }).spec!.replicas).toBe(0);
  });

  test('selects its pods by labels that never change, and labels its pods with them', () => {
    expect(sts.spec!.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'ringcache',
      'app.kubernetes.io/instance': 'demo',
      'app.kubernetes.io/component': 'cache-node',
    });
    expect(sts.spec!.template.metadata!.labels).toMatchObject(sts.spec!.selector.matchLabels!);
    expect(sts.spec!.template.metadata!.labels!['app.kubernetes.io/managed-by']).toBe('ringcache-operator');
    expect(selectorString('demo')).toBe(
      'app.kubernetes.io/component=cache-node,app.kubernetes.io/instance=demo,app.kubernetes.io/name=ringcache',
    );
  });

  test('gives the node its settings through RINGCACHE_* variables', () => {
    const env = Object.fromEntries(
      container.env!.map((e) => [e.name, e.value ?? `from ${e.valueFrom!.fieldRef!.fieldPath}`]),
    );
    expect(env).toEqual({
      RINGCACHE_HOST: '0.0.0.0',
      RINGCACHE_PORT: '8080',
      RINGCACHE_NODE_ID: 'from metadata.name',
      RINGCACHE_ADVERTISE_ADDRESS: '$(RINGCACHE_NODE_ID).demo-nodes.default.svc:8080',
      RINGCACHE_RING_SOURCE: 'demo.default.svc:8080',
      RINGCACHE_MAX_MEMORY: String(256 * 2 ** 20),
      RINGCACHE_EVICTION_POLICY: 'wtinylfu',
      RINGCACHE_CONSISTENCY: 'quorum',
      RINGCACHE_TOKEN_FILE: '/var/run/ringcache/token/token',
      RINGCACHE_PEER_TOKEN_FILE: '/var/run/ringcache/token/peer-token',
    });
  });

  test('advertises the address the ring gives its member', () => {
    const advertised = container.env!.find((e) => e.name === 'RINGCACHE_ADVERTISE_ADDRESS')!.value!;
    expect(advertised.replace('$(RINGCACHE_NODE_ID)', 'demo-2')).toBe(memberAddress('demo', 'default', 2));
    // Kubernetes expands $(VAR) only from variables defined earlier in the list.
    const names = container.env!.map((e) => e.name);
    expect(names.indexOf('RINGCACHE_NODE_ID')).toBeLessThan(names.indexOf('RINGCACHE_ADVERTISE_ADDRESS'));
  });

  test('mounts the clients token from the named Secret and the peer token from <cluster>-auth', () => {
    const sources = (c: ClusterContext) =>
      statefulSet(c, { replicas: 1 })
        .spec!.template.spec!.volumes!.find((v) => v.name === 'tokens')!
        .projected!.sources!.map((s) => [s.secret!.name, s.secret!.items![0].key]);
    expect(sources(demo)).toEqual([
      ['demo-auth', 'token'],
      ['demo-auth', 'peer-token'],
    ]);
    expect(sources(orders)).toEqual([
      ['orders-client-token', 'token'],
      ['orders-auth', 'peer-token'],
    ]);
  });

  test('places and pulls its pods as the spec says; its affinity replaces the default spread', () => {
    const defaults = statefulSet(demo, { replicas: 3 }).spec!.template.spec!;
    expect(defaults.imagePullSecrets).toBeUndefined();
    expect(defaults.containers[0].imagePullPolicy).toBeUndefined();
    expect(defaults.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(
      1,
    );
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['cache'] }] }],
        },
      },
    };
    const placed = statefulSet(
      cluster('placed', 'shop', {
        imagePullPolicy: 'Always',
        imagePullSecrets: [{ name: 'regcred' }],
        nodeSelector: { 'example.com/pool': 'cache' },
        tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        affinity,
        priorityClassName: 'cache-critical',
      }),
      { replicas: 3 },
    ).spec!.template.spec!;
    expect(placed.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(placed.containers[0].imagePullPolicy).toBe('Always');
    expect(placed.nodeSelector).toEqual({ 'example.com/pool': 'cache' });
    expect(placed.tolerations).toEqual([{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(placed.affinity).toEqual(affinity);
    expect(placed.priorityClassName).toBe('cache-critical');
  });

  test('is owned by its CacheCluster', () => {
    expect(sts.metadata!.ownerReferences).toEqual([
      {
        apiVersion: 'ringcache.io/v1alpha1',
        kind: 'CacheCluster',
        name: 'demo',
        uid: 'uid-of-demo',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });
});

describe('container memory limit', () => {
  test('defaults to maxMemory * 1.5 + 64Mi, rounded up to a Mi', () => {
    const Mi = 2 ** 20;
    expect(defaultMemoryLimitBytes(256 * Mi)).toBe(448 * Mi);
    expect(defaultMemoryLimitBytes(16 * Mi)).toBe(88 * Mi);
    expect(defaultMemoryLimitBytes(100e6)).toBe(208 * Mi); // 150e6 + 64Mi = 207.05Mi
    expect(containerResources(demo.spec)).toEqual({ limits: { memory: '448Mi' } });
  });

  test('keeps the limits given, and never defaults below a memory request', () => {
    const resources = (spec: CacheClusterSpec) => containerResources(resolveSpec(spec));
    expect(resources({ resources: { limits: { memory: '1Gi', cpu: 1 } } })).toEqual({
      limits: { memory: '1Gi', cpu: '1' },
    });
    expect(resources({ maxMemory: '1Gi', resources: { limits: { cpu: '2' } } })).toEqual({
      limits: { cpu: '2', memory: '1600Mi' },
    });
    expect(resources({ resources: { requests: { memory: '1Gi' } } })).toEqual({
      limits: { memory: '1Gi' },
      requests: { memory: '1Gi' },
    });
  });
});

describe('podDisruptionBudget', () => {
  test('maxUnavailable keeps enough owners of every key for the default consistency, at least 1', () => {
    const table = [1, 2, 3, 4, 5].map((rf) => [
      rf,
      maxUnavailable('one', rf),
      maxUnavailable('quorum', rf),
      maxUnavailable('all', rf),
    ]);
    expect(table).toEqual([
      // RF, one, quorum, all
      [1, 1, 1, 1],
      [2, 1, 1, 1],
      [3, 2, 1, 1],
      [4, 3, 1, 1],
      [5, 4, 2, 1],
    ]);
    expect(podDisruptionBudget(demo).spec!.maxUnavailable).toBe(1);
    expect(podDisruptionBudget(orders).spec!.maxUnavailable).toBe(2);
  });
});

describe('authSecret', () => {
  test('holds the clients token also when a Secret is named, for when the name is removed', () => {
    expect(Object.keys(authSecret(demo, tokens).data!)).toEqual(['token', 'peer-token']);
    expect(Object.keys(authSecret(orders, tokens).data!)).toEqual(['token', 'peer-token']);
    expect(Buffer.from(authSecret(demo, tokens).data!.token, 'base64').toString()).toBe(tokens.token);
  });

  test('refuses tokens the node would refuse', () => {
    expect(() => authSecret(demo, { ...tokens, peerToken: 'short' })).toThrow(/peerToken/);
    expect(() => authSecret(demo, { ...tokens, token: 'has a space in it, sixteen+' })).toThrow(/token/);
  });

  test('tokenFromBytes makes a URL-safe token from at least 16 random bytes', () => {
    const token = tokenFromBytes(new Uint8Array(32).fill(255));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(() => tokenFromBytes(new Uint8Array(15))).toThrow(/16/);
  });
});

describe('ringConfigMap', () => {
  test('holds a document the node parses back to the same', () => {
    const text = ringConfigMap(demo, demoRing).data!['ring.json'];
    expect(parseRingDocument(JSON.parse(text))).toEqual(demoRing);
  });

  test('refuses a document a node would refuse', () => {
    expect(() => ringConfigMap(demo, { ...demoRing, replicationFactor: 0 })).toThrow(/replicationFactor/);
  });
});

describe('member names', () => {
  test('are pod names and pod DNS names under the headless Service', () => {
    expect(memberId('demo', 4)).toBe('demo-4');
    expect(memberAddress('demo', 'prod', 4)).toBe('demo-4.demo-nodes.prod.svc:8080');
    expect(headlessService(demo).metadata!.name).toBe('demo-nodes');
    expect(ordinalOf('demo', 'demo-12')).toBe(12);
    for (const other of ['demo', 'demo-', 'demo-01', 'demo-x', 'other-1', 'demo-nodes-1']) {
      expect(ordinalOf('demo', other)).toBeUndefined();
    }
    expect(ordinalOf('my-demo', 'my-demo-0')).toBe(0);
  });
});
