/**
 * The options of `ringcache operator`: flags, RINGCACHE_* variables, defaults, checks. Pure:
 * the environment and host name come in as arguments.
 */
import { LOG_LEVEL_OPTION } from '../../node/src/config/command.js';
import { ConfigError, helpText, parseOptions, type OptionSpec } from '../../node/src/config/options.js';
import { parseChoice, parsePort, parsePositiveInteger, parseText } from '../../node/src/config/parse.js';
import type { LogLevel } from '../../node/src/log.js';

export const MEMBER_ADDRESS_MODES = ['dns', 'pod-ip'] as const;
export type MemberAddressMode = (typeof MEMBER_ADDRESS_MODES)[number];

function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

/** A Kubernetes object name (DNS-1123 subdomain). */
function parseName(text: string): string {
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(text)) {
    throw new Error(
      `must be a Kubernetes name (lower-case letters, digits, '-' and '.'), got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

export const OPERATOR_OPTIONS = {
  kubeconfig: option<string | undefined>({
    flag: '--kubeconfig',
    env: 'KUBECONFIG',
    defaultValue: undefined,
    defaultText: 'in-cluster service account, else ~/.kube/config',
    description: 'kubeconfig file to reach the API server with',
    parse: parseText,
  }),
  namespace: option<string | undefined>({
    flag: '--namespace',
    env: 'RINGCACHE_WATCH_NAMESPACE',
    defaultValue: undefined,
    defaultText: 'every namespace',
    description: 'namespace whose CacheClusters to reconcile',
    parse: parseName,
  }),
  leaseName: option({
    flag: '--lease-name',
    env: 'RINGCACHE_LEASE_NAME',
    defaultValue: 'ringcache-operator',
    description: 'name of the coordination.k8s.io Lease the operators elect a leader through',
    parse: parseName,
  }),
  leaseNamespace: option<string | undefined>({
    flag: '--lease-namespace',
    env: 'RINGCACHE_LEASE_NAMESPACE',
    defaultValue: undefined,
    defaultText: '$POD_NAMESPACE, else default',
    description: 'namespace of the Lease',
    parse: parseName,
  }),
  identity: option<string | undefined>({
    flag: '--identity',
    env: 'RINGCACHE_IDENTITY',
    defaultValue: undefined,
    defaultText: '$POD_NAME, else the host name',
    description: "this candidate's name in the Lease and in ring documents",
    parse: parseText,
  }),
  metricsHost: option({
    flag: '--metrics-host',
    env: 'RINGCACHE_METRICS_HOST',
    defaultValue: '0.0.0.0',
    description: 'address /metrics, /healthz and /readyz listen on',
    parse: parseText,
  }),
  metricsPort: option({
    flag: '--metrics-port',
    env: 'RINGCACHE_METRICS_PORT',
    defaultValue: 9090,
    description: 'port of /metrics, /healthz and /readyz (0 picks a free one)',
    parse: parsePort,
  }),
  leaseDurationMs: option({
    flag: '--lease-duration-ms',
    env: 'RINGCACHE_LEASE_DURATION_MS',
    defaultValue: 15_000,
    description: 'how long a Lease not renewed stays with its holder before a stand-by takes it',
    parse: parsePositiveInteger,
  }),
  renewDeadlineMs: option({
    flag: '--renew-deadline-ms',
    env: 'RINGCACHE_RENEW_DEADLINE_MS',
    defaultValue: 10_000,
    description: 'a leader that has not renewed for this long stops reconciling (< lease duration)',
    parse: parsePositiveInteger,
  }),
  retryPeriodMs: option({
    flag: '--retry-period-ms',
    env: 'RINGCACHE_RETRY_PERIOD_MS',
    defaultValue: 2_000,
    description: 'how often the Lease is renewed or tried (< renew deadline)',
    parse: parsePositiveInteger,
  }),
  nodeTimeoutMs: option({
    flag: '--node-timeout-ms',
    env: 'RINGCACHE_NODE_TIMEOUT_MS',
    defaultValue: 5_000,
    description: 'deadline of one request to a cache node (GET /v1/status, PUT /v1/ring)',
    parse: parsePositiveInteger,
  }),
  pollMs: option({
    flag: '--poll-ms',
    env: 'RINGCACHE_POLL_MS',
    defaultValue: 2_000,
    description: 'while a cluster is changing, how often its nodes are asked about their hand-off',
    parse: parsePositiveInteger,
  }),
  resyncMs: option({
    flag: '--resync-ms',
    env: 'RINGCACHE_RESYNC_MS',
    defaultValue: 60_000,
    description: 'a steady cluster is reconciled again after this long even without events',
    parse: parsePositiveInteger,
  }),
  watchTimeoutSeconds: option({
    flag: '--watch-timeout-seconds',
    env: 'RINGCACHE_WATCH_TIMEOUT_SECONDS',
    defaultValue: 300,
    description: 'the API server ends each watch after this long; the operator lists and watches again',
    parse: parsePositiveInteger,
  }),
  memberAddress: option<MemberAddressMode>({
    flag: '--member-address',
    env: 'RINGCACHE_MEMBER_ADDRESS',
    defaultValue: 'dns',
    description:
      "ring member addresses: dns (the pod's DNS name under the headless Service) or pod-ip " +
      '(status.podIP:8080, for test harnesses without cluster DNS)',
    parse: parseChoice(MEMBER_ADDRESS_MODES),
  }),
  logLevel: LOG_LEVEL_OPTION,
};

export interface OperatorConfig {
  kubeconfig: string | undefined;
  /** undefined: every namespace. */
  namespace: string | undefined;
  leaseName: string;
  leaseNamespace: string;
  identity: string;
  metricsHost: string;
  metricsPort: number;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  nodeTimeoutMs: number;
  pollMs: number;
  resyncMs: number;
  watchTimeoutSeconds: number;
  memberAddress: MemberAddressMode;
  logLevel: LogLevel;
}

export const OPERATOR_USAGE =
  'usage: ringcache operator [options]\n\nReconciles CacheClusters: one operator of those sharing the Lease leads, the others stand by.';

export function operatorHelp(): string {
  return helpText(OPERATOR_USAGE, OPERATOR_OPTIONS);
}

export interface OperatorSources {
  env?: Readonly<Record<string, string | undefined>>;
  hostname?: string;
}

/** The config, or 'help'; throws ConfigError naming every problem. */
export function parseOperatorConfig(
  argv: readonly string[],
  sources: OperatorSources = {},
): OperatorConfig | 'help' {
  const env = sources.env ?? {};
  const { values, help } = parseOptions(OPERATOR_OPTIONS, argv, env);
  if (help) return 'help';
  const problems: string[] = [];
  if (values.renewDeadlineMs >= values.leaseDurationMs) {
    problems.push(
      `--renew-deadline-ms (${values.renewDeadlineMs}) must be less than --lease-duration-ms (${values.leaseDurationMs})`,
    );
  }
  if (values.retryPeriodMs >= values.renewDeadlineMs) {
    problems.push(
      `--retry-period-ms (${values.retryPeriodMs}) must be less than --renew-deadline-ms (${values.renewDeadlineMs})`,
    );
  }
  if (values.leaseDurationMs % 1000 !== 0) {
    problems.push(
      `--lease-duration-ms (${values.leaseDurationMs}) must be whole seconds: the Lease stores seconds`,
    );
  }
  const identity = values.identity ?? nonEmpty(env.POD_NAME) ?? nonEmpty(sources.hostname);
  if (identity === undefined)
    problems.push('--identity is needed: neither POD_NAME nor a host name is known');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...values,
    leaseNamespace: values.leaseNamespace ?? nonEmpty(env.POD_NAMESPACE) ?? 'default',
    identity: identity!,
  };
}

const nonEmpty = (text: string | undefined): string | undefined =>
  text === undefined || text === '' ? undefined : text;
