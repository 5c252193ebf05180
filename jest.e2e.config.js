/**
 * The container suites (test/e2e): the same ESM setup as jest.config.js, run by `npm run test:e2e`
 * after the image is built. Containers start slowly, so timeouts are long.
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 300000,
};
