/**
 * The operator as the tests run it: installed from the project's own manifests (k8s/crd.yaml, and
 * the ServiceAccount and RBAC of k8s/operator.yaml: the one place tests take RBAC from) and run as
 * a real `ringcache operator` child process under that ServiceAccount's token.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlPlane } from '../controlplane/controlplane.js';
import { httpRequest, waitFor } from '../controlplane/http.js';
import { freePorts } from '../controlplane/ports.js';
import { LoggedProcess } from '../controlplane/process.js';
import { CLI, REPO_ROOT } from '../../support/node-process.js';
import { find, parseManifests } from './helm.js';
import { kubeApi, type KubeApi } from './kube-api.js';

/** The kinds of k8s/operator.yaml the operator's identity and permissions consist of. */
const IDENTITY_KINDS = ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];

export interface InstalledOperator {
  api: KubeApi;
  /** Where the ServiceAccount and its Lease Role live (ringcache-system). */
  namespace: string;
  serviceAccount: string;
  /** The Lease name the Deployment gives the operator. */
  leaseName: string;
  /** A kubeconfig holding a token of the operator's ServiceAccount. */
  kubeconfig: string;
}

/** Applies the CRD and the operator's ServiceAccount and RBAC from k8s/ (server-side apply). */
export async function installOperator(cp: ControlPlane): Promise<InstalledOperator> {
  const api = kubeApi(cp.server, cp.token, await readFile(cp.caPath, 'utf8'));
  const [crd] = parseManifests(await readFile(join(REPO_ROOT, 'k8s/crd.yaml'), 'utf8'));
  await api.call(
    'PATCH',
    `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=ringcache-test&force=true`,
    crd,
    'application/apply-patch+yaml',
  );
  const manifests = parseManifests(await readFile(join(REPO_ROOT, 'k8s/operator.yaml'), 'utf8'));
  for (const kind of IDENTITY_KINDS) {
    for (const m of manifests.filter((o) => o.kind === kind)) await api.apply(m);
  }
  await waitFor('the CRD Established', 60_000, async () => {
    const r = await api.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`);
    const conditions: Array<{ type: string; status: string }> = r?.body.status?.conditions ?? [];
    return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
  const sa = find(manifests, 'ServiceAccount');
  const deployment = find(manifests, 'Deployment');
  const args: string[] = deployment.spec.template.spec.containers[0].args;
  const leaseName = args.find((a) => a.startsWith('--lease-name='))!.split('=')[1];
  const namespace = sa.metadata.namespace!;
  const kubeconfig = await cp.serviceAccountKubeconfig(namespace, sa.metadata.name);
  return { api, namespace, serviceAccount: sa.metadata.name, leaseName, kubeconfig };
}

export interface OperatorOptions {
  installed: InstalledOperator;
  identity: string;
  /** Directory for the log. */
  dir: string;
  args?: string[];
  /** Node options (the stand-in kubelet's DNS preload) and extra environment. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

/** One `ringcache operator` process with its metrics port. */
export class OperatorProcess {
  private constructor(
    readonly identity: string,
    readonly process: LoggedProcess,
    readonly metricsPort: number,
  ) {}

  static async start(opts: OperatorOptions): Promise<OperatorProcess> {
    const [port] = await freePorts(1);
    const { installed } = opts;
    const args = [
      ...(opts.nodeArgs ?? []),
      CLI,
      'operator',
      `--kubeconfig=${installed.kubeconfig}`,
      `--lease-name=${installed.leaseName}`,
      `--lease-namespace=${installed.namespace}`,
      `--metrics-host=127.0.0.1`,
      `--metrics-port=${port}`,
      ...(opts.args ?? []),
    ];
    const env = { PATH: process.env.PATH, POD_NAME: opts.identity, ...opts.env };
    const proc = new LoggedProcess(opts.identity, process.execPath, args, join(opts.dir, `${opts.identity}.log`), env);
    const op = new OperatorProcess(opts.identity, proc, port);
    await waitFor(`${opts.identity} /readyz`, 60_000, async () => ((await op.get('/readyz'))?.status === 200 ? true : undefined), () => proc.exited);
    return op;
  }

  async get(path: string): Promise<{ status: number; body: string } | undefined> {
    try {
      return await httpRequest(`http://127.0.0.1:${this.metricsPort}${path}`, { timeoutMs: 5000 });
    } catch {
      return undefined;
    }
  }

  /** A metric's value (the first sample whose line starts with `name`), or undefined. */
  async metric(name: string): Promise<number | undefined> {
    const r = await this.get('/metrics');
    const line = r?.body.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  async isLeader(): Promise<boolean | undefined> {
    const value = await this.metric('ringcache_operator_is_leader');
    return value === undefined ? undefined : value === 1;
  }
}
