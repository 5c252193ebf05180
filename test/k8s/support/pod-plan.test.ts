/**
 * The stand-in kubelet's pure decisions, on the pod the operator's own StatefulSet builder makes
 * (so a change to the builder that the stand-in cannot run shows up here first).
 */
import type { V1Pod } from '@kubernetes/client-node';
import { statefulSet } from '../../../operator/src/builders/index.js';
import { resolveSpec } from '../../../operator/src/spec.js';
import { containerEnv, expandReferences, fieldValue } from './pod-env.js';
import {
  containerCommand,
  containerPort,
  podAction,
  podDnsNames,
  preStopCommand,
  processEnv,
  readinessPath,
  terminationGraceMs,
} from './pod-plan.js';
import { apiTime, runningStatus } from './pod-status.js';
import { MissingSecretError, hostPath, referencedSecrets, rewritePaths, volumeFiles } from './pod-volumes.js';

const cli = { node: '/usr/bin/node', nodeArgs: ['--import', 'dns.mjs'], script: '/repo/bin/ringcache.js' };
const run = ['/usr/bin/node', '--import', 'dns.mjs', '/repo/bin/ringcache.js'];

/** demo-1 as kube-controller-manager would create it from the operator's StatefulSet. */
function operatorPod(): V1Pod {
  const sts = statefulSet(
    { name: 'demo', namespace: 'shop', uid: 'u', generation: 1, spec: resolveSpec({ maxMemory: '64Mi' }) },
    { replicas: 3 },
  );
  const template = sts.spec!.template;
  return {
    metadata: { ...template.metadata, name: 'demo-1', namespace: 'shop', uid: 'pod-uid-1' },
    spec: structuredClone(template.spec!),
  };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('expandReferences (Kubernetes $(VAR) rules)', () => {
  const lookup = (name: string): string | undefined => ({ A: 'x', EMPTY: '' })[name];
  test.each([
    ['$(A).svc', 'x.svc'],
    ['$(A)$(A)', 'xx'],
    ['[$(EMPTY)]', '[]'],
    ['$(MISSING)', '$(MISSING)'],
    ['$$(A)', '$(A)'],
    ['a$$b', 'a$b'],
    ['$A', '$A'],
    ['cost $', 'cost $'],
    ['$(A', '$(A'],
    ['plain', 'plain'],
  ])('%s -> %s', (input, expected) => {
    expect(expandReferences(input, lookup)).toBe(expected);
  });
});

describe('containerEnv', () => {
  test('fieldRefs from the pod, then references to variables defined before', () => {
    const pod = operatorPod();
    pod.status = { podIP: '127.0.0.9' };
    const env = containerEnv(pod, pod.spec!.containers[0]);
    expect(env.RINGCACHE_NODE_ID).toBe('demo-1');
    expect(env.RINGCACHE_ADVERTISE_ADDRESS).toBe('demo-1.demo-nodes.shop.svc:8080');
    expect(env.RINGCACHE_MAX_MEMORY).toBe(String(64 * 2 ** 20));
  });

  test('a reference to a later variable is left as written, as Kubernetes does', () => {
    const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [] } };
    const env = containerEnv(pod, {
      name: 'c',
      env: [
        { name: 'FIRST', value: '$(SECOND)-a' },
        { name: 'SECOND', value: 'b' },
      ],
    });
    expect(env).toEqual({ FIRST: '$(SECOND)-a', SECOND: 'b' });
  });

  test('field paths', () => {
    const pod: V1Pod = {
      metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { app: 'a' } },
      spec: { containers: [], nodeName: 'n1' },
      status: { podIP: '127.0.0.3' },
    };
    expect(fieldValue(pod, 'metadata.namespace')).toBe('ns');
    expect(fieldValue(pod, 'status.podIP')).toBe('127.0.0.3');
    expect(fieldValue(pod, 'spec.nodeName')).toBe('n1');
    expect(fieldValue(pod, "metadata.labels['app']")).toBe('a');
    expect(() => fieldValue(pod, 'status.phase')).toThrow('fieldRef status.phase is not supported');
  });

  test('secretKeyRef is refused, not dropped', () => {
    const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [] } };
    const container = { name: 'c', env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] };
    expect(() => containerEnv(pod, container)).toThrow('env T: only value and valueFrom.fieldRef');
  });
});

describe('volumes', () => {
  const secrets = {
    'demo-auth': { token: b64('client-token'), 'peer-token': b64('peer-token') },
  };

  test('the projected token volume becomes files under <root>/<volume>', () => {
    const pod = operatorPod();
    const container = pod.spec!.containers[0];
    expect(referencedSecrets(pod, container)).toEqual(['demo-auth']);
    const { dirs, files } = volumeFiles(pod, container, secrets);
    expect(dirs).toEqual(['tokens', 'tmp']);
    expect(files.map((f) => [f.path, f.content.toString()])).toEqual([
      ['tokens/token', 'client-token'],
      ['tokens/peer-token', 'peer-token'],
    ]);
  });

  test('a missing Secret or key keeps the pod waiting unless optional', () => {
    const pod = operatorPod();
    const container = pod.spec!.containers[0];
    expect(() => volumeFiles(pod, container, {})).toThrow(MissingSecretError);
    expect(() => volumeFiles(pod, container, { 'demo-auth': { token: b64('t') } })).toThrow(
      'Secret demo-auth has no key peer-token',
    );
    const optional: V1Pod = {
      metadata: { name: 'p' },
      spec: {
        containers: [],
        volumes: [{ name: 'v', secret: { secretName: 'gone', optional: true } }],
      },
    };
    expect(volumeFiles(optional, { name: 'c', volumeMounts: [{ name: 'v', mountPath: '/v' }] }, {})).toEqual({
      dirs: ['v'],
      files: [],
    });
  });

  test('a plain secret volume without items gets every key', () => {
    const pod: V1Pod = {
      metadata: { name: 'p' },
      spec: { containers: [], volumes: [{ name: 'creds', secret: { secretName: 's' } }] },
    };
    const { files } = volumeFiles(pod, { name: 'c', volumeMounts: [{ name: 'creds', mountPath: '/etc/c' }] }, {
      s: { a: b64('1'), b: b64('2') },
    });
    expect(files.map((f) => f.path)).toEqual(['creds/a', 'creds/b']);
  });

  test('unsupported volumes and subPath mounts are refused', () => {
    const pod: V1Pod = {
      metadata: { name: 'p' },
      spec: { containers: [], volumes: [{ name: 'h', hostPath: { path: '/etc' } }] },
    };
    expect(() => volumeFiles(pod, { name: 'c', volumeMounts: [{ name: 'h', mountPath: '/h' }] }, {})).toThrow(
      'only secret, projected and emptyDir',
    );
    expect(() =>
      referencedSecrets(pod, { name: 'c', volumeMounts: [{ name: 'h', mountPath: '/h', subPath: 'x' }] }),
    ).toThrow('subPath is not supported');
  });

  test('paths under a mount map to its directory; the deepest mount wins; others stay', () => {
    const mounts = [
      { name: 'outer', mountPath: '/var/run' },
      { name: 'tokens', mountPath: '/var/run/ringcache/token' },
    ];
    expect(hostPath('/var/run/ringcache/token/peer-token', mounts, '/tmp/p')).toBe('/tmp/p/tokens/peer-token');
    expect(hostPath('/var/run/x', mounts, '/tmp/p')).toBe('/tmp/p/outer/x');
    expect(hostPath('/var/runner', mounts, '/tmp/p')).toBeUndefined();
    expect(rewritePaths({ A: '/var/run/ringcache/token/token', B: 'relative', C: '/etc/x' }, mounts, '/r')).toEqual({
      A: '/r/tokens/token',
      B: 'relative',
      C: '/etc/x',
    });
  });
});

describe('processEnv and commands', () => {
  test("the operator's pod runs as `ringcache node` on its own address, token files mapped", () => {
    const pod = operatorPod();
    const container = pod.spec!.containers[0];
    const port = containerPort(container);
    expect(port).toBe(8080);
    const env = processEnv(pod, container, { ip: '127.0.0.7', port, volumeRoot: '/tmp/pod/volumes' });
    expect(env).toMatchObject({
      RINGCACHE_HOST: '127.0.0.7',
      RINGCACHE_PORT: '8080',
      RINGCACHE_NODE_ID: 'demo-1',
      RINGCACHE_ADVERTISE_ADDRESS: 'demo-1.demo-nodes.shop.svc:8080',
      RINGCACHE_TOKEN_FILE: '/tmp/pod/volumes/tokens/token',
      RINGCACHE_PEER_TOKEN_FILE: '/tmp/pod/volumes/tokens/peer-token',
    });
    expect(containerCommand(container, cli)).toEqual([...run, 'node']);
    expect(preStopCommand(container, cli)).toEqual([...run, 'drain', '--timeout-ms', '55000']);
    expect(readinessPath(container)).toBe('/readyz');
    expect(terminationGraceMs(pod)).toBe(60_000);
  });

  test('status.podIP refers to the address the stand-in gives', () => {
    const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [] } };
    const container = {
      name: 'c',
      ports: [{ containerPort: 9000 }],
      env: [{ name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    };
    expect(processEnv(pod, container, { ip: '127.0.0.4', port: 9000, volumeRoot: '/r' }).MY_IP).toBe('127.0.0.4');
  });

  test('commands other than ringcache are not run', () => {
    expect(() => containerCommand({ name: 'c', command: ['sh', '-c', 'x'] }, cli)).toThrow('is not ringcache');
    expect(preStopCommand({ name: 'c', lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } }, cli)).toBe(
      undefined,
    );
    expect(preStopCommand({ name: 'c' }, cli)).toBeUndefined();
    expect(containerCommand({ name: 'c', command: ['ringcache', 'node'], args: ['--port', '1'] }, cli)).toEqual([
      ...run,
      'node',
      '--port',
      '1',
    ]);
    expect(() => containerPort({ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }] })).toThrow(
      'declares no TCP port',
    );
  });

  test("DNS names of a StatefulSet's pod (hostname and subdomain); none without them", () => {
    const pod: V1Pod = {
      metadata: { name: 'demo-1', namespace: 'shop' },
      spec: { containers: [], hostname: 'demo-1', subdomain: 'demo-nodes' },
    };
    expect(podDnsNames(pod)).toEqual(['demo-1.demo-nodes.shop.svc', 'demo-1.demo-nodes.shop.svc.cluster.local']);
    expect(podDnsNames({ metadata: { name: 'p' }, spec: { containers: [], hostname: 'p' } })).toEqual([]);
  });

  test('grace period: the deletion grace, else the spec, else 30 s', () => {
    expect(terminationGraceMs({ metadata: { deletionGracePeriodSeconds: 5 }, spec: { containers: [] } })).toBe(5000);
    expect(terminationGraceMs({ spec: { containers: [], terminationGracePeriodSeconds: 7 } })).toBe(7000);
    expect(terminationGraceMs({})).toBe(30_000);
  });
});

describe('podAction', () => {
  const node = 'stand-in-1';
  const pod = (over: { nodeName?: string; deleting?: boolean; phase?: string }): V1Pod => ({
    metadata: { name: 'p', deletionTimestamp: over.deleting ? new Date() : undefined },
    spec: { containers: [], nodeName: over.nodeName },
    status: { phase: over.phase ?? 'Pending' },
  });
  test.each([
    [{}, 'none', 'bind'],
    [{ nodeName: node }, 'none', 'start'],
    [{ nodeName: node, phase: 'Running' }, 'running', 'none'],
    [{ nodeName: node, phase: 'Running' }, 'none', 'start'], // the stand-in restarted: run it again
    [{ nodeName: node, phase: 'Running' }, 'exited', 'fail'],
    [{ nodeName: node, phase: 'Failed' }, 'exited', 'none'],
    [{ nodeName: node, phase: 'Running', deleting: true }, 'running', 'terminate'],
    [{ nodeName: node, phase: 'Failed', deleting: true }, 'exited', 'terminate'],
    [{ nodeName: node, deleting: true }, 'none', 'terminate'], // never started: just finish the deletion
    [{ nodeName: 'other' }, 'none', 'none'],
    [{ nodeName: 'other', deleting: true }, 'none', 'none'],
  ] as const)('%j with process %s -> %s', (over, process, expected) => {
    expect(podAction(pod(over), { nodeName: node, process })).toBe(expected);
  });
});

describe('runningStatus', () => {
  const container = { name: 'node', image: 'ringcache:dev' };
  const base = { ip: '127.0.0.5', startedAt: '2026-01-01T00:00:00Z' };

  test('Running, Ready following the probe, lastTransitionTime kept while unchanged', () => {
    const first = runningStatus({}, container, { ...base, ready: false }, '2026-01-01T00:00:01Z') as {
      status: V1Pod['status'] & object;
    };
    expect(first.status.phase).toBe('Running');
    expect(first.status.podIP).toBe('127.0.0.5');
    expect(first.status.conditions!.find((c) => c.type === 'Ready')!.status).toBe('False');
    expect(first.status.containerStatuses![0]).toMatchObject({ name: 'node', ready: false, restartCount: 0 });

    const pod: V1Pod = { status: first.status };
    const second = runningStatus(pod, container, { ...base, ready: true }, '2026-01-01T00:00:09Z') as typeof first;
    const conditions = Object.fromEntries(second.status.conditions!.map((c) => [c.type, c]));
    expect(conditions.Ready).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:09Z' });
    expect(conditions.Initialized).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:01Z' });
    expect(second.status.containerStatuses![0].state).toEqual({ running: { startedAt: base.startedAt } });
  });

  test('an exited process fails the pod, not Ready', () => {
    const exit = { code: 137, finishedAt: '2026-01-01T00:01:00Z' };
    const { status } = runningStatus({}, container, { ...base, ready: true, exit }, exit.finishedAt) as {
      status: V1Pod['status'] & object;
    };
    expect(status.phase).toBe('Failed');
    expect(status.conditions!.find((c) => c.type === 'Ready')!.status).toBe('False');
    expect(status.containerStatuses![0].state!.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
  });

  test('apiTime drops fractions', () => {
    expect(apiTime(new Date('2026-03-04T05:06:07.890Z'))).toBe('2026-03-04T05:06:07Z');
  });
});
