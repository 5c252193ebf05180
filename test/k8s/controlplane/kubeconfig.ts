/**
 * A kubeconfig for one bearer token. JSON is valid YAML, so kubectl and client-node read it as is.
 * Pure: the caller writes it.
 */
export function tokenKubeconfig(opts: { server: string; token: string; caPem: string; user: string }): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'ringcache-test',
        cluster: { server: opts.server, 'certificate-authority-data': Buffer.from(opts.caPem).toString('base64') },
      },
    ],
    users: [{ name: opts.user, user: { token: opts.token } }],
    contexts: [{ name: opts.user, context: { cluster: 'ringcache-test', user: opts.user } }],
    'current-context': opts.user,
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/** The `--token-auth-file` line: token,user,uid,"groups". */
export function tokenAuthLine(token: string, user: string, groups: string[]): string {
  return `${token},${user},${user},"${groups.join(',')}"\n`;
}
