/**
 * A raw JSON client of the Kubernetes API: the kubeconfig's credentials and CA over node:https,
 * plain objects in and out. Raw rather than client-node's typed APIs, which serialize through
 * models that drop fields they do not know (docs/operator.md), and which cannot send an
 * apply patch as is. Thin: no decisions here.
 */
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { request as httpRequest } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubeAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** A refused or failed call, with the API server's own message (its Status object). */
export class KubeError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(`${method} ${path}: ${status} ${reason}: ${message}`);
    this.name = 'KubeError';
  }
}

export interface RequestSpec {
  method?: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
}

export const CONTENT = {
  json: 'application/json',
  merge: 'application/merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/** How long credentials are reused before the kubeconfig is asked again (tokens rotate). */
const CREDENTIALS_TTL_MS = 30_000;

export class KubeClient {
  private options: RequestOptions = {};
  private optionsAt = -Infinity;

  private constructor(
    readonly server: string,
    private readonly kc: KubeConfig,
    private readonly defaultTimeoutMs: number,
  ) {}

  static async fromKubeConfig(kc: KubeConfig, defaultTimeoutMs = 30_000): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (cluster === null) throw new Error('the kubeconfig names no current cluster');
    const client = new KubeClient(cluster.server.replace(/\/$/, ''), kc, defaultTimeoutMs);
    await client.credentials();
    return client;
  }

  /**
   * Credentials (token, client certificate) and the CA, as the kubeconfig gives them, asked
   * again every 30 s: in a pod the ServiceAccount token is a file the kubelet rotates.
   */
  private async credentials(): Promise<RequestOptions> {
    if (Date.now() - this.optionsAt < CREDENTIALS_TTL_MS) return this.options;
    const options: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(options);
    this.options = options;
    this.optionsAt = Date.now();
    return options;
  }

  url(path: string, query: RequestSpec['query'] = {}): URL {
    const url = new URL(this.server + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** One call; answers any status (callers decide what a 404 or 409 means). */
  async call(spec: RequestSpec): Promise<KubeAnswer> {
    const options = await this.credentials();
    const method = spec.method ?? 'GET';
    const data = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    const headers: Record<string, string> = {
      ...(options.headers as Record<string, string> | undefined),
      Accept: 'application/json',
    };
    if (data !== undefined) headers['Content-Type'] = spec.contentType ?? CONTENT.json;
    const url = this.url(spec.path, spec.query);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeout = spec.timeoutMs ?? this.defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = send(url, { ...options, method, headers, timeout }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let body: unknown = undefined;
          try {
            body = JSON.parse(text);
          } catch {
            // Not JSON (a proxy's plain-text error): `text` carries it.
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
        res.on('error', reject);
      });
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${spec.path}: no answer within ${timeout} ms`)),
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  /** A call that must answer one of `ok` (default 2xx); anything else throws KubeError. */
  async expect(spec: RequestSpec, ok: number[] = [200, 201]): Promise<KubeAnswer> {
    const answer = await this.call(spec);
    if (!ok.includes(answer.status)) throw errorOf(spec, answer);
    return answer;
  }

  /** GET; undefined on 404. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async get(path: string, query?: RequestSpec['query']): Promise<any> {
    const answer = await this.expect({ path, query }, [200, 404]);
    return answer.status === 404 ? undefined : answer.body;
  }

  /** Server-side apply of one object as `fieldManager`, taking over conflicting fields. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async apply(path: string, object: unknown, fieldManager: string): Promise<any> {
    const answer = await this.expect({
      method: 'PATCH',
      path,
      query: { fieldManager, force: true },
      body: object,
      // JSON is YAML: the apply content type takes it as is.
      contentType: CONTENT.apply,
    });
    return answer.body;
  }

  /** Opens a streaming request (watches); the caller reads and ends it. */
  async stream(spec: RequestSpec, signal: AbortSignal): Promise<import('node:http').IncomingMessage> {
    const options = await this.credentials();
    const url = this.url(spec.path, spec.query);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers = {
      ...(options.headers as Record<string, string> | undefined),
      Accept: 'application/json',
    };
    return new Promise((resolve, reject) => {
      const req = send(url, { ...options, method: 'GET', headers, signal }, resolve);
      req.on('error', reject);
      req.end();
    });
  }
}

export function errorOf(spec: RequestSpec, answer: KubeAnswer): KubeError {
  const reason = typeof answer.body?.reason === 'string' ? answer.body.reason : 'Error';
  const message = typeof answer.body?.message === 'string' ? answer.body.message : answer.text.slice(0, 500);
  return new KubeError(spec.method ?? 'GET', spec.path, answer.status, reason, message);
}

/** API paths of the kinds the operator touches. */
export const paths = {
  cacheClusters: (namespace?: string) =>
    namespace === undefined
      ? '/apis/ringcache.io/v1alpha1/cacheclusters'
      : `/apis/ringcache.io/v1alpha1/namespaces/${namespace}/cacheclusters`,
  cacheCluster: (namespace: string, name: string) =>
    `/apis/ringcache.io/v1alpha1/namespaces/${namespace}/cacheclusters/${name}`,
  statefulSets: (namespace?: string) =>
    namespace === undefined
      ? '/apis/apps/v1/statefulsets'
      : `/apis/apps/v1/namespaces/${namespace}/statefulsets`,
  statefulSet: (namespace: string, name: string) =>
    `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`,
  pods: (namespace?: string) =>
    namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${namespace}/pods`,
  services: (namespace?: string) =>
    namespace === undefined ? '/api/v1/services' : `/api/v1/namespaces/${namespace}/services`,
  service: (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/services/${name}`,
  configMaps: (namespace?: string) =>
    namespace === undefined ? '/api/v1/configmaps' : `/api/v1/namespaces/${namespace}/configmaps`,
  configMap: (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/configmaps/${name}`,
  secrets: (namespace: string) => `/api/v1/namespaces/${namespace}/secrets`,
  secret: (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/secrets/${name}`,
  podDisruptionBudgets: (namespace?: string) =>
    namespace === undefined
      ? '/apis/policy/v1/poddisruptionbudgets'
      : `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
  podDisruptionBudget: (namespace: string, name: string) =>
    `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets/${name}`,
  events: (namespace: string) => `/api/v1/namespaces/${namespace}/events`,
  leases: (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
  lease: (namespace: string, name: string) =>
    `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
};
