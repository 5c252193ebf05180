/**
 * The cache nodes' StatefulSet. Pods get stable names (`<cluster>-<ordinal>`) and DNS names under
 * the headless Service, which are the ring members' identities and addresses.
 *
 * `replicas` is an argument, not spec.replicas: the scaling state machine (scaling.ts) decides it,
 * because shrinking to spec.replicas at once would delete pods before they hand their keys off.
 * Pure.
 */
import type { V1Container, V1PodSpec, V1StatefulSet } from '@kubernetes/client-node';
import {
  NODE_PORT,
  authSecretName,
  clientServiceName,
  headlessServiceName,
  statefulSetName,
} from '../names.js';
import type { ClusterContext } from '../types.js';
import { labels, objectMeta, selectorLabels } from './labels.js';
import { containerResources } from './resources.js';

export const CONTAINER_NAME = 'node';
export const RUN_AS_ID = 10001;
export const TOKEN_DIR = '/var/run/ringcache/token';
export const TOKEN_FILE = `${TOKEN_DIR}/token`;
export const PEER_TOKEN_FILE = `${TOKEN_DIR}/peer-token`;
/** Long enough for a node to hand its share off in the preStop hook (see docs/operator.md). */
export const TERMINATION_GRACE_SECONDS = 60;
/**
 * preStop runs the image's own CLI rather than an httpGet: a drain endpoint sits under /v1 and
 * needs the peer token, which an httpGet hook could only carry written into the pod spec; the
 * command reads it from the mounted file and can wait for the hand-off to finish.
 */
export const DRAIN_COMMAND = [
  'node',
  '/app/bin/ringcache.js',
  'drain',
  // The whole grace period but 5 s for the shutdown after SIGTERM (the command's own default,
  // 25 s, would give up on a large node's hand-off with half the grace period left).
  '--timeout-ms',
  String((TERMINATION_GRACE_SECONDS - 5) * 1000),
];

export interface StatefulSetOptions {
  /** Pods to run now, as the scaling state machine decided. */
  replicas: number;
}

export function statefulSet(cluster: ClusterContext, options: StatefulSetOptions): V1StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: objectMeta(cluster, statefulSetName(cluster.name)),
    spec: {
      replicas: options.replicas,
      serviceName: headlessServiceName(cluster.name),
      // Pods start and stop together; ring membership, not pod order, sequences data movement.
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: selectorLabels(cluster.name) },
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels: labels(cluster.name) },
        spec: podSpec(cluster),
      },
    },
  };
}

/** The spec's scheduling and pull fields that are set (unset ones stay out of the applied object). */
function placementFields(cluster: ClusterContext): Partial<V1PodSpec> {
  const { imagePullSecrets, nodeSelector, tolerations, priorityClassName } = cluster.spec.placement;
  return {
    ...(imagePullSecrets === undefined ? {} : { imagePullSecrets }),
    ...(nodeSelector === undefined ? {} : { nodeSelector }),
    ...(tolerations === undefined ? {} : { tolerations: tolerations as V1PodSpec['tolerations'] }),
    ...(priorityClassName === undefined ? {} : { priorityClassName }),
  };
}

function podSpec(cluster: ClusterContext): V1PodSpec {
  return {
    automountServiceAccountToken: false,
    // Without this every Service in the namespace becomes env vars; one named like the cluster
    // would set RINGCACHE_PORT=tcp://... in the node's own option namespace.
    enableServiceLinks: false,
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_ID,
      runAsGroup: RUN_AS_ID,
      // Lets the non-root user read the token files (mode 0440, group fsGroup).
      fsGroup: RUN_AS_ID,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...placementFields(cluster),
    // Copies of a key live on different pods; spreading them over machines keeps a machine's
    // failure from taking several copies at once. Preferred, so a small cluster still schedules.
    // The spec's own affinity, when given, replaces it.
    affinity: (cluster.spec.placement.affinity as V1PodSpec['affinity']) ?? {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: selectorLabels(cluster.name) },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    },
    containers: [container(cluster)],
    volumes: [
      {
        name: 'tokens',
        projected: {
          defaultMode: 0o440,
          sources: [
            {
              secret: {
                name: cluster.spec.auth.secretName ?? authSecretName(cluster.name),
                items: [{ key: 'token', path: 'token' }],
              },
            },
            {
              secret: {
                name: authSecretName(cluster.name),
                items: [{ key: 'peer-token', path: 'peer-token' }],
              },
            },
          ],
        },
      },
      // The root filesystem is read-only; Node.js and libraries may still want a scratch /tmp.
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ],
  };
}

function container(cluster: ClusterContext): V1Container {
  const { spec } = cluster;
  return {
    name: CONTAINER_NAME,
    image: spec.image,
    ...(spec.placement.imagePullPolicy === undefined
      ? {}
      : { imagePullPolicy: spec.placement.imagePullPolicy }),
    args: ['node'],
    ports: [{ name: 'http', containerPort: NODE_PORT, protocol: 'TCP' }],
    env: [
      { name: 'RINGCACHE_HOST', value: '0.0.0.0' },
      { name: 'RINGCACHE_PORT', value: String(NODE_PORT) },
      {
        name: 'RINGCACHE_NODE_ID',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      },
      // The member's ring address (memberAddress), which peers can resolve; the node's default,
      // hostname:port, is not. Kubernetes expands $(RINGCACHE_NODE_ID), defined just above.
      {
        name: 'RINGCACHE_ADVERTISE_ADDRESS',
        value: `$(RINGCACHE_NODE_ID).${headlessServiceName(cluster.name)}.${cluster.namespace}.svc:${NODE_PORT}`,
      },
      // A restarted pod asks a Ready member for the ring (the client Service reaches only those)
      // and pulls its share back before it reports Ready (docs/cluster.md, share recovery).
      {
        name: 'RINGCACHE_RING_SOURCE',
        value: `${clientServiceName(cluster.name)}.${cluster.namespace}.svc:${NODE_PORT}`,
      },
      { name: 'RINGCACHE_MAX_MEMORY', value: String(spec.maxMemoryBytes) },
      { name: 'RINGCACHE_EVICTION_POLICY', value: spec.evictionPolicy },
      { name: 'RINGCACHE_CONSISTENCY', value: spec.consistency },
      { name: 'RINGCACHE_TOKEN_FILE', value: TOKEN_FILE },
      { name: 'RINGCACHE_PEER_TOKEN_FILE', value: PEER_TOKEN_FILE },
    ],
    resources: containerResources(spec),
    readinessProbe: {
      httpGet: { path: '/readyz', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 2,
    },
    // Lenient: a restart empties an in-memory node, so only a node stuck for a minute is killed.
    livenessProbe: {
      httpGet: { path: '/healthz', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 6,
    },
    lifecycle: { preStop: { exec: { command: DRAIN_COMMAND } } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_ID,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: 'tokens', mountPath: TOKEN_DIR, readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
}
