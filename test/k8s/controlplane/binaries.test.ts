import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { binDir, locateBinaries, parseEnvFile } from './binaries.js';
import { tokenAuthLine, tokenKubeconfig } from './kubeconfig.js';

const here = dirname(fileURLToPath(import.meta.url));

test('controlplane.ts looks where build.sh puts the binaries', async () => {
  // build.sh has run before this suite (npm run test:k8s), so this call only reports the cached path.
  const out = execFileSync('bash', [join(here, 'build.sh')], { encoding: 'utf8' }).trimEnd().split('\n');
  const bins = await locateBinaries();
  expect(dirname(bins.kubeApiserver)).toBe(out[out.length - 2]);
  expect(out[out.length - 1]).toMatch(/^controlplane_build_seconds=\d+$/);
});

test('the cache key and the version file', () => {
  const env = { RINGCACHE_K8S_CACHE: '/c' };
  expect(binDir(env, 'v1.36.3', 'v3.6.8')).toBe('/c/v1.36.3-etcd3.6.8/bin');
  expect(parseEnvFile('# pinned\nK8S_VERSION=v1.36.3\n\nETCD_VERSION=v3.6.8 \n')).toEqual({
    K8S_VERSION: 'v1.36.3',
    ETCD_VERSION: 'v3.6.8',
  });
});

test('a token kubeconfig reads back through client-node', () => {
  const kc = new KubeConfig();
  kc.loadFromString(tokenKubeconfig({ server: 'https://127.0.0.1:6443', token: 't0k', caPem: 'PEM', user: 'u' }));
  expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
  expect(kc.getCurrentCluster()?.caData).toBe(Buffer.from('PEM').toString('base64'));
  expect(kc.getCurrentUser()?.token).toBe('t0k');
});

test('the token auth file line carries the groups as one quoted field', () => {
  expect(tokenAuthLine('abc', 'admin', ['system:masters', 'x'])).toBe('abc,admin,admin,"system:masters,x"\n');
});
