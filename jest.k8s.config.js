import base from './jest.config.js';

/** The control-plane suite (`npm run test:k8s`): real etcd, kube-apiserver and kube-controller-manager. */
export default {
  ...base,
  roots: ['<rootDir>/test/k8s'],
  // test/k8s/support's unit tests need no control plane: they run in `npm test`.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/k8s/support/'],
  // A cold control plane on a busy 2-core machine takes a while; the binaries are built beforehand.
  testTimeout: 20 * 60 * 1000,
};
