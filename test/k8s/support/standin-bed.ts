/**
 * The bed of the tests that run cache pods: a control plane with the CRD, a namespace, the
 * stand-in kubelet running that namespace's pods as real node processes, and the operator (the
 * built CLI with the admin's kubeconfig and the stand-in's DNS, so ring member addresses resolve
 * as they do for the pods). `stop` tears down whatever was started, in reverse order.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../support/node-process.js';
import { startControlPlane, type ControlPlane } from '../controlplane/controlplane.js';
import { LoggedProcess } from '../controlplane/process.js';
import { applyCrd } from './crd.js';
import { kubeApi, type KubeApi } from './kube-api.js';
import { StandInKubelet, type StandInKubeletOptions } from './kubelet.js';

export interface StandInBed {
  cp: ControlPlane;
  api: KubeApi;
  kubelet: StandInKubelet;
  operator: LoggedProcess;
  stop(): Promise<void>;
}

export interface StandInBedOptions {
  namespace: string;
  /** The operator's POD_NAME (its Lease identity). */
  operatorName: string;
  /** More operator flags (default: a free metrics port). */
  operatorArgs?: string[];
  kubelet?: Partial<StandInKubeletOptions>;
}

export async function startStandInBed(opts: StandInBedOptions): Promise<StandInBed> {
  const stops: Array<() => Promise<unknown>> = [];
  let dir: string | undefined;
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
    if (dir && process.env.RINGCACHE_K8S_KEEP !== '1') await rm(dir, { recursive: true, force: true });
  };
  try {
    const cp = await startControlPlane();
    stops.push(() => cp.stop());
    const api = kubeApi(cp.server, cp.token, await readFile(cp.caPath, 'utf8'));
    await api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: opts.namespace } });
    const kubelet = await StandInKubelet.start({
      kubeconfigPath: cp.kubeconfigPath,
      namespace: opts.namespace,
      ...opts.kubelet,
    });
    stops.push(() => kubelet.stop());
    await applyCrd(cp);
    dir = await mkdtemp(join(tmpdir(), `ringcache-${opts.namespace}-`));
    const dns = kubelet.dns();
    const operator = new LoggedProcess(
      'operator',
      process.execPath,
      [...dns.nodeArgs, CLI, 'operator', ...(opts.operatorArgs ?? ['--metrics-port=0'])],
      join(dir, 'operator.log'),
      {
        PATH: process.env.PATH,
        KUBECONFIG: cp.kubeconfigPath,
        POD_NAME: opts.operatorName,
        POD_NAMESPACE: opts.namespace,
        ...dns.env,
      },
    );
    stops.push(() => operator.stop());
    return { cp, api, kubelet, operator, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
