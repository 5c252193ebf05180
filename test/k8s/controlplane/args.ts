/** Command lines of the three control-plane processes: pure functions of their settings. */

export interface EtcdSettings {
  dataDir: string;
  clientPort: number;
  peerPort: number;
}

export function etcdArgs(s: EtcdSettings): string[] {
  const client = `http://127.0.0.1:${s.clientPort}`;
  const peer = `http://127.0.0.1:${s.peerPort}`;
  return [
    '--name=default',
    `--data-dir=${s.dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    // A test cluster's data dies with the test: durability only costs time.
    '--unsafe-no-fsync',
    '--log-level=warn',
  ];
}

export interface ApiserverSettings {
  etcdClientPort: number;
  securePort: number;
  certDir: string;
  tokenAuthFile: string;
  serviceAccountPublicKey: string;
  serviceAccountPrivateKey: string;
  serviceAccountIssuer: string;
}

export function apiserverArgs(s: ApiserverSettings): string[] {
  return [
    `--etcd-servers=http://127.0.0.1:${s.etcdClientPort}`,
    `--cert-dir=${s.certDir}`,
    `--secure-port=${s.securePort}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    `--token-auth-file=${s.tokenAuthFile}`,
    '--allow-privileged=true',
    // No kubelet mounts tokens here, and the plugin would reject pods until the default account exists.
    '--disable-admission-plugins=ServiceAccount',
    `--service-account-issuer=${s.serviceAccountIssuer}`,
    `--service-account-key-file=${s.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${s.serviceAccountPrivateKey}`,
  ];
}

export interface ControllerManagerSettings {
  kubeconfig: string;
  securePort: number;
  serviceAccountPrivateKey: string;
  rootCaFile: string;
}

export function controllerManagerArgs(s: ControllerManagerSettings): string[] {
  return [
    `--kubeconfig=${s.kubeconfig}`,
    '--leader-elect=false',
    '--controllers=*',
    `--service-account-private-key-file=${s.serviceAccountPrivateKey}`,
    `--root-ca-file=${s.rootCaFile}`,
    // Its own health endpoint, on a free loopback port rather than the fixed 10257.
    '--bind-address=127.0.0.1',
    `--secure-port=${s.securePort}`,
  ];
}
