/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver and kube-controller-manager built
 * by build.sh, on free loopback ports, with temp data. No kubelet: Pods are created but stay Pending.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiserverArgs, controllerManagerArgs, etcdArgs } from './args.js';
import { locateBinaries } from './binaries.js';
import { httpRequest, waitFor } from './http.js';
import { tokenAuthLine, tokenKubeconfig } from './kubeconfig.js';
import { LoggedProcess } from './process.js';
import { freePorts } from './ports.js';

export interface ControlPlane {
  /** A kubeconfig for the admin (group system:masters). */
  kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The admin's bearer token. */
  token: string;
  /** The PEM bundle the API server's certificate chains to. */
  caPath: string;
  /** Temp directory holding data, certs, kubeconfigs and the three logs (removed by stop()). */
  dir: string;
  /** Mints a token for a ServiceAccount (TokenRequest API) and writes a kubeconfig for it. */
  serviceAccountKubeconfig(namespace: string, name: string, expirationSeconds?: number): Promise<string>;
  /** Stops all three processes and removes the temp directory (kept when RINGCACHE_K8S_KEEP=1). */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;

/** Starts the control plane and resolves once the API server is ready and the controllers run. */
export async function startControlPlane(): Promise<ControlPlane> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      // A free port can be taken between picking and binding; anything else is a real failure.
      const raced = err instanceof Error && /address already in use/i.test(err.message);
      if (!raced || attempt >= START_ATTEMPTS) throw err;
    }
  }
}

async function startOnce(): Promise<ControlPlane> {
  const started = Date.now();
  const bins = await locateBinaries();
  const dir = await mkdtemp(join(tmpdir(), 'ringcache-k8s-'));
  const procs: LoggedProcess[] = [];
  const stop = async (): Promise<void> => {
    // Dependents first: controllers, then the API server, then its store.
    for (const p of procs.splice(0).reverse()) await p.stop();
    if (process.env.RINGCACHE_K8S_KEEP !== '1') await rm(dir, { recursive: true, force: true });
  };
  const dead = (): string | undefined => procs.find((p) => p.exited)?.exited;

  try {
    const [etcdClientPort, etcdPeerPort, apiPort, kcmPort] = await freePorts(4);
    const certDir = join(dir, 'certs');
    await mkdir(certDir);

    // Admin: a static token in system:masters, which RBAC lets do anything.
    const token = randomBytes(24).toString('hex');
    const tokenAuthFile = join(dir, 'tokens.csv');
    await writeFile(tokenAuthFile, tokenAuthLine(token, 'ringcache-admin', ['system:masters']), { mode: 0o600 });

    // The key pair the API server signs ServiceAccount tokens with (and checks them against).
    const sa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const saPublic = join(dir, 'sa.pub');
    const saPrivate = join(dir, 'sa.key');
    await writeFile(saPublic, sa.publicKey);
    await writeFile(saPrivate, sa.privateKey, { mode: 0o600 });

    procs.push(
      new LoggedProcess(
        'etcd',
        bins.etcd,
        etcdArgs({ dataDir: join(dir, 'etcd'), clientPort: etcdClientPort, peerPort: etcdPeerPort }),
        join(dir, 'etcd.log'),
      ),
    );
    await waitFor(
      'etcd healthy',
      30_000,
      async () => {
        const r = await httpRequest(`http://127.0.0.1:${etcdClientPort}/health`);
        return r.status === 200 && JSON.parse(r.body).health === 'true' ? true : undefined;
      },
      dead,
    );

    const server = `https://127.0.0.1:${apiPort}`;
    procs.push(
      new LoggedProcess(
        'kube-apiserver',
        bins.kubeApiserver,
        apiserverArgs({
          etcdClientPort,
          securePort: apiPort,
          certDir,
          tokenAuthFile,
          serviceAccountPublicKey: saPublic,
          serviceAccountPrivateKey: saPrivate,
          serviceAccountIssuer: 'https://kubernetes.default.svc.cluster.local',
        }),
        join(dir, 'kube-apiserver.log'),
      ),
    );
    // Not checking the certificate yet: the server makes it while it starts.
    await waitFor(
      'kube-apiserver /readyz',
      120_000,
      async () => ((await httpRequest(`${server}/readyz`, { token })).status === 200 ? true : undefined),
      dead,
    );

    // --cert-dir holds a self-signed serving certificate followed by the CA that signed it.
    const caPath = join(certDir, 'apiserver.crt');
    const caPem = await readFile(caPath, 'utf8');
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, tokenKubeconfig({ server, token, caPem, user: 'ringcache-admin' }), {
      mode: 0o600,
    });

    procs.push(
      new LoggedProcess(
        'kube-controller-manager',
        bins.kubeControllerManager,
        controllerManagerArgs({
          kubeconfig: kubeconfigPath,
          securePort: kcmPort,
          serviceAccountPrivateKey: saPrivate,
          rootCaFile: caPath,
        }),
        join(dir, 'kube-controller-manager.log'),
      ),
    );
    await waitFor(
      'kube-controller-manager /healthz',
      60_000,
      async () => ((await httpRequest(`https://127.0.0.1:${kcmPort}/healthz`)).status === 200 ? true : undefined),
      dead,
    );

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `control plane ${bins.k8sVersion} (etcd ${bins.etcdVersion}) at ${server}, dir ${dir}\n` +
        `controlplane_start_seconds=${seconds}\n`,
    );

    return {
      kubeconfigPath,
      server,
      token,
      caPath,
      dir,
      stop,
      serviceAccountKubeconfig: async (namespace, name, expirationSeconds = 3600) => {
        const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`;
        const r = await httpRequest(server + path, {
          method: 'POST',
          token,
          ca: caPem,
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
        });
        if (r.status !== 201) throw new Error(`TokenRequest for ${namespace}/${name}: ${r.status} ${r.body}`);
        const saToken: string = JSON.parse(r.body).status.token;
        const user = `system:serviceaccount:${namespace}:${name}`;
        const file = join(dir, `sa-${namespace}-${name}.kubeconfig`);
        await writeFile(file, tokenKubeconfig({ server, token: saToken, caPem, user }), { mode: 0o600 });
        return file;
      },
    };
  } catch (err) {
    // The logs go with the temp dir: keep the ends of those that did not already report theirs.
    const tails = procs.filter((p) => !p.exited).map((p) => `--- ${p.name} (${p.logPath}):\n${p.tail(15)}`);
    await stop();
    if (err instanceof Error && tails.length > 0) err.message += '\n' + tails.join('\n');
    throw err;
  }
}
