import { ConfigError } from '../../node/src/config/options.js';
import { parseOperatorConfig } from '../src/config.js';

const parse = (argv: string[], env: Record<string, string> = {}, hostname = 'host-1') =>
  parseOperatorConfig(argv, { env, hostname });

test('defaults: every namespace, identity and Lease namespace from the pod', () => {
  expect(parse([], { POD_NAME: 'op-7d9c', POD_NAMESPACE: 'ringcache-system' })).toEqual({
    kubeconfig: undefined,
    namespace: undefined,
    leaseName: 'ringcache-operator',
    leaseNamespace: 'ringcache-system',
    identity: 'op-7d9c',
    metricsHost: '0.0.0.0',
    metricsPort: 9090,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    nodeTimeoutMs: 5_000,
    pollMs: 2_000,
    resyncMs: 60_000,
    watchTimeoutSeconds: 300,
    memberAddress: 'dns',
    logLevel: 'info',
  });
});

test('outside a pod: the host name and the default namespace', () => {
  expect(parse([])).toMatchObject({ identity: 'host-1', leaseNamespace: 'default' });
});

test("the chart's flags", () => {
  const config = parse([
    '--metrics-port=9090',
    '--lease-name=rc-operator',
    '--lease-namespace=ops',
    '--namespace=apps',
    '--log-level=debug',
  ]);
  expect(config).toMatchObject({
    leaseName: 'rc-operator',
    leaseNamespace: 'ops',
    namespace: 'apps',
    logLevel: 'debug',
  });
});

test('every problem at once, with exact messages', () => {
  let error: ConfigError | undefined;
  try {
    parse([
      '--lease-duration-ms=5500',
      '--renew-deadline-ms=6000',
      '--retry-period-ms=7000',
      '--namespace=Bad_NS',
      '--member-address=ip',
    ]);
  } catch (err) {
    error = err as ConfigError;
  }
  expect(error?.problems).toEqual([
    "--namespace: must be a Kubernetes name (lower-case letters, digits, '-' and '.'), got \"Bad_NS\"",
    '--member-address: expected one of dns, pod-ip, got "ip"',
  ]);
  expect(() =>
    parse(['--lease-duration-ms=5500', '--renew-deadline-ms=6000', '--retry-period-ms=7000']),
  ).toThrow(
    new ConfigError([
      '--renew-deadline-ms (6000) must be less than --lease-duration-ms (5500)',
      '--retry-period-ms (7000) must be less than --renew-deadline-ms (6000)',
      '--lease-duration-ms (5500) must be whole seconds: the Lease stores seconds',
    ]),
  );
});

test('--help', () => {
  expect(parse(['--help'])).toBe('help');
});
