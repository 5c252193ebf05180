/**
 * Raw calls to the API server for what kubectl would do: server-side apply of rendered manifests
 * (dry run or real), reads, and access reviews. Raw rather than client-node's typed APIs, which
 * drop CRD schema fields they do not model (docs/operator.md).
 */
import { request } from 'node:https';
import type { Manifest } from './helm.js';

export interface Answer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

export interface KubeApi {
  call(method: string, path: string, body?: unknown, contentType?: string): Promise<Answer>;
  /** Server-side apply of one object (field manager `ringcache-test`); throws on refusal. */
  apply(obj: Manifest, opts?: { dryRun?: boolean }): Promise<Answer>;
  /** The object's path, or undefined when it is absent (404). */
  get(path: string): Promise<Answer | undefined>;
}

/** Resource names and scope of every kind the chart renders. */
const RESOURCES: Record<string, { plural: string; namespaced: boolean }> = {
  Namespace: { plural: 'namespaces', namespaced: false },
  CustomResourceDefinition: { plural: 'customresourcedefinitions', namespaced: false },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  Role: { plural: 'roles', namespaced: true },
  RoleBinding: { plural: 'rolebindings', namespaced: true },
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  Service: { plural: 'services', namespaced: true },
  ConfigMap: { plural: 'configmaps', namespaced: true },
  Deployment: { plural: 'deployments', namespaced: true },
  PodDisruptionBudget: { plural: 'poddisruptionbudgets', namespaced: true },
  Pod: { plural: 'pods', namespaced: true },
  CacheCluster: { plural: 'cacheclusters', namespaced: true },
  ServiceMonitor: { plural: 'servicemonitors', namespaced: true },
};

/** `/api/v1/...` or `/apis/<group>/<version>/...` of an object. */
export function objectPath(obj: Pick<Manifest, 'apiVersion' | 'kind' | 'metadata'>, defaultNamespace = 'default'): string {
  const r = RESOURCES[obj.kind];
  if (!r) throw new Error(`no resource known for kind ${obj.kind}`);
  const prefix = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = r.namespaced ? `/namespaces/${obj.metadata.namespace ?? defaultNamespace}` : '';
  return `${prefix}${ns}/${r.plural}/${encodeURIComponent(obj.metadata.name)}`;
}

export function kubeApi(server: string, token: string, caPem: string): KubeApi {
  const call = (method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${token}` };
      if (data !== undefined) headers['Content-Type'] = contentType;
      const req = request(new URL(path, server), { method, headers, ca: caPem, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown = undefined;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (a plain-text error): text carries it.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in time`)));
      req.on('error', reject);
      req.end(data);
    });
  return {
    call,
    async apply(obj, opts = {}) {
      const query = `?fieldManager=ringcache-test&force=true${opts.dryRun ? '&dryRun=All' : ''}`;
      // JSON is YAML: the apply-patch content type takes it as is.
      const r = await call('PATCH', objectPath(obj) + query, obj, 'application/apply-patch+yaml');
      if (r.status !== 200 && r.status !== 201) {
        throw new Error(`apply ${obj.kind} ${obj.metadata.name}${opts.dryRun ? ' (dry run)' : ''}: ${r.status} ${r.text}`);
      }
      return r;
    },
    async get(path) {
      const r = await call('GET', path);
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
      return r;
    },
  };
}
