/** Jest in ESM mode (client-node is ESM-only): ts-jest compiles each test file as ESM. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  // Container and control-plane suites have their own commands (see README); the pure parts of
  // their support (test/k8s/support) are unit-tested here.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '<rootDir>/test/k8s/(?!support/)',
    '<rootDir>/test/e2e/',
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { warnOnly: false } }],
  },
  testTimeout: 60000,
};
