import { AppsV1Api, CoreV1Api, KubeConfig, ApiException } from '@kubernetes/client-node';
import { startControlPlane, type ControlPlane } from './controlplane/controlplane.js';
import { waitFor } from './controlplane/http.js';

let cp: ControlPlane;

beforeAll(async () => {
  cp = await startControlPlane();
});

afterAll(async () => {
  await cp?.stop();
});

function client(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

test('kube-controller-manager creates the Pods of a StatefulSet', async () => {
  const kc = client(cp.kubeconfigPath);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = 'smoke';
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const labels = { app: 'smoke' };
  await apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: 'smoke' },
      spec: {
        replicas: 2,
        // Parallel: with OrderedReady only pod-0 appears, since no kubelet ever makes it Ready.
        podManagementPolicy: 'Parallel',
        serviceName: 'smoke',
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'main', image: 'ringcache:test' }] },
        },
      },
    },
  });

  const names = await waitFor('both StatefulSet pods', 120_000, async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: 'app=smoke' });
    const found = pods.items.map((p) => p.metadata?.name ?? '').sort();
    return found.length === 2 ? found : undefined;
  });
  expect(names).toEqual(['smoke-0', 'smoke-1']);
});

test('a ServiceAccount without RBAC permissions is forbidden to list pods', async () => {
  const admin = client(cp.kubeconfigPath).makeApiClient(CoreV1Api);
  const namespace = 'rbac';
  await admin.createNamespace({ body: { metadata: { name: namespace } } });
  await admin.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'nobody' } } });

  const sa = client(await cp.serviceAccountKubeconfig(namespace, 'nobody')).makeApiClient(CoreV1Api);
  // Its own identity is accepted (no 401); only the authorization fails.
  const err = await sa.listNamespacedPod({ namespace }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiException);
  expect((err as ApiException<unknown>).code).toBe(403);
  expect(String((err as ApiException<unknown>).body)).toContain('system:serviceaccount:rbac:nobody');
});
