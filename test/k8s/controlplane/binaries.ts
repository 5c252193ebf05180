import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The control-plane binaries and the versions they were built from. */
export interface Binaries {
  k8sVersion: string;
  etcdVersion: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

const here = fileURLToPath(new URL('.', import.meta.url));

/** Parses `KEY=value` lines (comments and blanks skipped), as build.sh sources them. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=(.*?)\s*$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** The cache directory build.sh fills, keyed the same way: `<k8s-version>-etcd<etcd-version>/bin`. */
export function binDir(env: NodeJS.ProcessEnv, k8sVersion: string, etcdVersion: string): string {
  const root = env.RINGCACHE_K8S_CACHE || join(env.HOME || homedir(), '.cache/ringcache/k8s');
  return join(root, `${k8sVersion}-etcd${etcdVersion.replace(/^v/, '')}`, 'bin');
}

/** Finds the binaries build.sh made; fails with the command to run when they are missing. */
export async function locateBinaries(env: NodeJS.ProcessEnv = process.env): Promise<Binaries> {
  const pinned = parseEnvFile(await readFile(join(here, 'versions.env'), 'utf8'));
  const k8sVersion = env.RINGCACHE_K8S_VERSION || pinned.K8S_VERSION;
  const etcdVersion = env.RINGCACHE_ETCD_VERSION || pinned.ETCD_VERSION;
  const dir = binDir(env, k8sVersion, etcdVersion);
  const bins: Binaries = {
    k8sVersion,
    etcdVersion,
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
  };
  for (const path of [bins.etcd, bins.kubeApiserver, bins.kubeControllerManager]) {
    try {
      await access(path);
    } catch {
      throw new Error(`${path} is missing: run \`bash test/k8s/controlplane/build.sh\` first`);
    }
  }
  return bins;
}
