/**
 * The Node object a stand-in kubelet binds its pods to. Pods bound to a Node that does not exist
 * are deleted by the pod garbage collector, and a Node that stops reporting is marked unreachable
 * (its pods NotReady, then evicted): so it is registered Ready and its Lease in kube-node-lease
 * renewed, which is the heartbeat kube-controller-manager's node lifecycle controller reads.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { apiTime } from './pod-status.js';

const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;

export interface FakeNode {
  name: string;
  /** Stops the heartbeat and deletes the Node (best effort: the API server may be gone). */
  stop(): Promise<void>;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d+)Z$/, (_m, ms: string) => `.${ms.padEnd(6, '0')}Z`);
}

export async function registerNode(kc: KubeConfig, name: string, log: (line: string) => void): Promise<FakeNode> {
  const core = kc.makeApiClient(CoreV1Api);
  const coordination = kc.makeApiClient(CoordinationV1Api);
  await core.createNode({
    body: {
      metadata: {
        name,
        labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'ringcache.io/stand-in': 'true' },
      },
    },
  });
  const now = apiTime(new Date());
  const capacity = { cpu: '2', memory: '4Gi', pods: '110' };
  await core.patchNodeStatus(
    {
      name,
      body: {
        status: {
          capacity,
          allocatable: capacity,
          addresses: [
            { type: 'InternalIP', address: '127.0.0.1' },
            { type: 'Hostname', address: name },
          ],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'stand-in kubelet (test/k8s/support/kubelet.ts)',
              lastHeartbeatTime: now,
              lastTransitionTime: now,
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );

  // Server-side apply creates the Lease on the first beat and renews it after.
  const beat = (): Promise<unknown> =>
    coordination.patchNamespacedLease(
      {
        name,
        namespace: 'kube-node-lease',
        fieldManager: 'stand-in-kubelet',
        force: true,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace: 'kube-node-lease' },
          spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microTime(new Date()) },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
  await beat();
  const timer = setInterval(() => {
    beat().catch((err: unknown) => log(`node ${name}: lease renewal failed: ${String(err)}`));
  }, RENEW_MS);

  return {
    name,
    async stop() {
      clearInterval(timer);
      const deleted = core.deleteNode({ name }).catch(() => undefined);
      await Promise.race([deleted, new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
}
