/**
 * The options of `ringcache node`: every limit the node enforces is here, with its default.
 * `parseNodeConfig` turns flags and RINGCACHE_* variables into a checked NodeConfig. Pure
 * except for reading the token file, which the caller may inject.
 */
import { LOG_LEVEL_OPTION } from '../config/command.js';
import { readFileSync } from 'node:fs';
import { validToken } from './credential.js';
import { POLICY_NAMES } from '../store/options.js';
import type { EvictionPolicyName } from '../store/types.js';
import {
  parseBoolean,
  parseBytes,
  parseChoice,
  parsePort,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parseText,
} from '../config/parse.js';
import { ConfigError, helpText, parseOptions, type OptionSpec } from '../config/options.js';
import type { LogLevel } from '../log.js';

export const CONSISTENCY_LEVELS = ['one', 'quorum', 'all'] as const;
export type Consistency = (typeof CONSISTENCY_LEVELS)[number];

function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

export const NODE_OPTIONS = {
  host: option({
    flag: '--host',
    env: 'RINGCACHE_HOST',
    defaultValue: '127.0.0.1',
    description: 'address to listen on (0.0.0.0 in containers)',
    parse: parseText,
  }),
  port: option({
    flag: '--port',
    env: 'RINGCACHE_PORT',
    defaultValue: 8080,
    description: 'TCP port to listen on (0 picks a free one)',
    parse: parsePort,
  }),
  nodeId: option<string | undefined>({
    flag: '--node-id',
    env: 'RINGCACHE_NODE_ID',
    defaultValue: undefined,
    defaultText: 'the host name',
    description: 'stable identity of this node in the ring',
    parse: parseText,
  }),
  maxMemory: option({
    flag: '--max-memory',
    env: 'RINGCACHE_MAX_MEMORY',
    defaultValue: 256 * 2 ** 20,
    defaultText: '256MiB',
    description: 'bound on stored bytes: keys + values + per-entry overhead',
    parse: parseBytes,
  }),
  maxValueSize: option({
    flag: '--max-value-size',
    env: 'RINGCACHE_MAX_VALUE_SIZE',
    defaultValue: 2 ** 20,
    defaultText: '1MiB',
    description: 'largest value accepted; larger bodies get 413',
    parse: parseBytes,
  }),
  evictionPolicy: option<EvictionPolicyName>({
    flag: '--eviction-policy',
    env: 'RINGCACHE_EVICTION_POLICY',
    defaultValue: 'wtinylfu',
    description: `eviction policy: ${POLICY_NAMES.join(' or ')}`,
    parse: parseChoice(POLICY_NAMES),
  }),
  consistency: option<Consistency>({
    flag: '--consistency',
    env: 'RINGCACHE_CONSISTENCY',
    defaultValue: 'quorum',
    description: 'default X-Consistency: one, quorum or all',
    parse: parseChoice(CONSISTENCY_LEVELS),
  }),
  tokenFile: option<string | undefined>({
    flag: '--token-file',
    env: 'RINGCACHE_TOKEN_FILE',
    defaultValue: undefined,
    description: 'file holding the bearer token required on /v1/* (auth is off without a token)',
    parse: parseText,
  }),
  token: option<string | undefined>({
    flag: '--token',
    env: 'RINGCACHE_TOKEN',
    defaultValue: undefined,
    description: 'the bearer token itself (prefer --token-file: flags show in ps)',
    parse: parseText,
  }),
  peerTokenFile: option<string | undefined>({
    flag: '--peer-token-file',
    env: 'RINGCACHE_PEER_TOKEN_FILE',
    defaultValue: undefined,
    defaultText: '(unset: the client token)',
    description: 'file holding the credential for node-to-node and operator-to-node calls',
    parse: parseText,
  }),
  peerToken: option<string | undefined>({
    flag: '--peer-token',
    env: 'RINGCACHE_PEER_TOKEN',
    defaultValue: undefined,
    description: 'the peer credential itself (prefer --peer-token-file)',
    parse: parseText,
  }),
  tokenReloadMs: option({
    flag: '--token-reload-ms',
    env: 'RINGCACHE_TOKEN_RELOAD_MS',
    defaultValue: 5_000,
    description:
      'how often the token files are read again (a rotated or regenerated Secret reaches the node)',
    parse: parsePositiveInteger,
  }),
  tokenGraceMs: option({
    flag: '--token-grace-ms',
    env: 'RINGCACHE_TOKEN_GRACE_MS',
    defaultValue: 300_000,
    description: 'how long the previous token is still accepted after a token file changes (0: not at all)',
    parse: parseNonNegativeInteger,
  }),
  advertiseAddress: option<string | undefined>({
    flag: '--advertise-address',
    env: 'RINGCACHE_ADVERTISE_ADDRESS',
    defaultValue: undefined,
    defaultText: 'host:port',
    description: 'host:port peers reach this node at (its ring address)',
    parse: parseText,
  }),
  ringSource: option<string | undefined>({
    flag: '--ring-source',
    env: 'RINGCACHE_RING_SOURCE',
    defaultValue: undefined,
    defaultText: 'none',
    description:
      "host:port to ask for the ring at start-up (the cluster's client Service): a restarted member takes its ring and share back before /readyz answers 200",
    parse: parseText,
  }),
  replicaTimeoutMs: option({
    flag: '--replica-timeout-ms',
    env: 'RINGCACHE_REPLICA_TIMEOUT_MS',
    defaultValue: 1000,
    description: 'deadline of one call to a peer (replicate, read, forward)',
    parse: parsePositiveInteger,
  }),
  maxHints: option({
    flag: '--max-hints',
    env: 'RINGCACHE_MAX_HINTS',
    defaultValue: 100_000,
    description:
      'writes held for unreachable peers (their values at most --max-memory bytes); beyond it the oldest are dropped (counted)',
    parse: parsePositiveInteger,
  }),
  tombstoneGraceMs: option({
    flag: '--tombstone-grace-ms',
    env: 'RINGCACHE_TOMBSTONE_GRACE_MS',
    defaultValue: 600_000,
    description: 'how long a delete or expiry is remembered so late copies cannot resurrect the key',
    parse: parsePositiveInteger,
  }),
  maxTombstones: option<number | undefined>({
    flag: '--max-tombstones',
    env: 'RINGCACHE_MAX_TOMBSTONES',
    defaultValue: undefined,
    defaultText: 'max-memory / 2 KiB',
    description:
      'deletes and expiries remembered (about 200 bytes each, outside --max-memory: the default spends about a tenth of it); beyond it the oldest are forgotten (counted)',
    parse: parsePositiveInteger,
  }),
  antiEntropyIntervalMs: option({
    flag: '--anti-entropy-interval-ms',
    env: 'RINGCACHE_ANTI_ENTROPY_INTERVAL_MS',
    defaultValue: 30_000,
    description:
      'how often replicas compare range digests with each peer and exchange what differs (0 = never)',
    parse: parseNonNegativeInteger,
  }),
  unownedGraceMs: option({
    flag: '--unowned-grace-ms',
    env: 'RINGCACHE_UNOWNED_GRACE_MS',
    defaultValue: 60_000,
    description:
      'how long a node keeps entries it no longer owns after a new ring (and its hand-off) before dropping them',
    parse: parsePositiveInteger,
  }),
  metricsAuth: option({
    flag: '--metrics-auth',
    env: 'RINGCACHE_METRICS_AUTH',
    defaultValue: false,
    switch: true,
    description: 'require the bearer token on /metrics too',
    parse: parseBoolean,
  }),
  maxConnections: option({
    flag: '--max-connections',
    env: 'RINGCACHE_MAX_CONNECTIONS',
    defaultValue: 4096,
    description: 'open connections beyond this get 503 and are closed',
    parse: parsePositiveInteger,
  }),
  headersTimeoutMs: option({
    flag: '--headers-timeout-ms',
    env: 'RINGCACHE_HEADERS_TIMEOUT_MS',
    defaultValue: 10_000,
    description: 'time a client has to send its request headers',
    parse: parsePositiveInteger,
  }),
  bodyTimeoutMs: option({
    flag: '--body-timeout-ms',
    env: 'RINGCACHE_BODY_TIMEOUT_MS',
    defaultValue: 30_000,
    description: 'time a client has to send a whole request, body included (408 after)',
    parse: parsePositiveInteger,
  }),
  keepAliveTimeoutMs: option({
    flag: '--keep-alive-timeout-ms',
    env: 'RINGCACHE_KEEP_ALIVE_TIMEOUT_MS',
    defaultValue: 65_000,
    description: 'idle time before a keep-alive connection is closed',
    parse: parsePositiveInteger,
  }),
  shutdownTimeoutMs: option({
    flag: '--shutdown-timeout-ms',
    env: 'RINGCACHE_SHUTDOWN_TIMEOUT_MS',
    defaultValue: 10_000,
    description: 'on SIGTERM/SIGINT, how long in-flight requests may take before connections are cut',
    parse: parsePositiveInteger,
  }),
  maxBatchKeys: option({
    flag: '--max-batch-keys',
    env: 'RINGCACHE_MAX_BATCH_KEYS',
    defaultValue: 1000,
    description: 'most keys in one batch request',
    parse: parsePositiveInteger,
  }),
  maxBatchSize: option({
    flag: '--max-batch-size',
    env: 'RINGCACHE_MAX_BATCH_SIZE',
    defaultValue: 16 * 2 ** 20,
    defaultText: '16MiB',
    description: 'largest batch request body',
    parse: parseBytes,
  }),
  expiryIntervalMs: option({
    flag: '--expiry-interval-ms',
    env: 'RINGCACHE_EXPIRY_INTERVAL_MS',
    defaultValue: 1000,
    description: 'how often expired entries are removed in the background',
    parse: parsePositiveInteger,
  }),
  logLevel: LOG_LEVEL_OPTION,
  accessLog: option({
    flag: '--access-log',
    env: 'RINGCACHE_ACCESS_LOG',
    defaultValue: false,
    switch: true,
    description: 'log one line per request (off: it costs throughput)',
    parse: parseBoolean,
  }),
};

type Specs = typeof NODE_OPTIONS;

export interface NodeConfig {
  host: string;
  port: number;
  nodeId: string;
  maxMemory: number;
  maxValueSize: number;
  evictionPolicy: EvictionPolicyName;
  consistency: Consistency;
  /** The bearer token for /v1/*; undefined turns auth off. */
  token: string | undefined;
  /** The credential peers present on /v1/internal/* and PUT /v1/ring; defaults to the token. */
  peerToken: string | undefined;
  /** The files the two were read from (read again every tokenReloadMs); undefined for a value. */
  tokenFile: string | undefined;
  peerTokenFile: string | undefined;
  tokenReloadMs: number;
  tokenGraceMs: number;
  advertiseAddress: string;
  /** host:port asked for the ring at start-up (cluster/ring-source.ts); undefined: none. */
  ringSource: string | undefined;
  replicaTimeoutMs: number;
  maxHints: number;
  tombstoneGraceMs: number;
  maxTombstones: number;
  antiEntropyIntervalMs: number;
  unownedGraceMs: number;
  metricsAuth: boolean;
  maxConnections: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownTimeoutMs: number;
  maxBatchKeys: number;
  maxBatchSize: number;
  expiryIntervalMs: number;
  logLevel: LogLevel;
  accessLog: boolean;
}

/** Bytes of --max-memory per tombstone held by default: a tombstone costs about 190 heap bytes. */
const TOMBSTONE_BUDGET_BYTES = 2048;

export const NODE_USAGE = 'usage: ringcache node [options]\n\nRuns one cache node serving the HTTP API.';

export function nodeHelp(): string {
  return helpText(NODE_USAGE, NODE_OPTIONS);
}

export interface ConfigSources {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  hostname?: string;
}

/** Returns the config, or `'help'` when --help was asked; throws ConfigError listing every problem. */
export function parseNodeConfig(argv: readonly string[], sources: ConfigSources = {}): NodeConfig | 'help' {
  const { values, help } = parseOptions<Specs>(NODE_OPTIONS, argv, sources.env ?? {});
  if (help) return 'help';
  const problems: string[] = [];
  const readFile = sources.readFile ?? readUtf8;
  const token = resolveToken('', values.token, values.tokenFile, readFile, problems);
  const peerToken =
    resolveToken('peer-', values.peerToken, values.peerTokenFile, readFile, problems) ?? token;
  if (values.maxBatchSize < values.maxValueSize) {
    problems.push(
      `--max-batch-size (${values.maxBatchSize}) must be at least --max-value-size (${values.maxValueSize})`,
    );
  }
  if (values.metricsAuth && values.token === undefined && values.tokenFile === undefined) {
    // Without a token there is nothing to require: /metrics would stay open while the flag says otherwise.
    problems.push('--metrics-auth needs a token to require (--token-file or --token)');
  }
  if (values.ringSource !== undefined && !/^[^\s/]+:\d{1,5}$/.test(values.ringSource)) {
    problems.push(`--ring-source: expected host:port, got ${JSON.stringify(values.ringSource)}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const { token: _token, peerToken: _p2, ...rest } = values;
  // Without a peer credential of its own, the peer side follows the client token (and its file).
  const peerTokenFile =
    values.peerToken === undefined && values.peerTokenFile === undefined
      ? values.tokenFile
      : values.peerTokenFile;
  const advertiseAddress =
    values.advertiseAddress ??
    `${values.host === '0.0.0.0' ? (sources.hostname ?? '127.0.0.1') : values.host}:${values.port}`;
  return {
    ...rest,
    maxTombstones: values.maxTombstones ?? Math.max(1, Math.floor(values.maxMemory / TOMBSTONE_BUDGET_BYTES)),
    nodeId: values.nodeId ?? sources.hostname ?? 'ringcache-node',
    token,
    peerToken,
    peerTokenFile,
    advertiseAddress,
  };
}

function resolveToken(
  prefix: string,
  token: string | undefined,
  tokenFile: string | undefined,
  readFile: (path: string) => string,
  problems: string[],
): string | undefined {
  if (token !== undefined && tokenFile !== undefined) {
    problems.push(`give --${prefix}token or --${prefix}token-file, not both`);
    return undefined;
  }
  let text = token;
  if (tokenFile !== undefined) {
    try {
      text = readFile(tokenFile);
    } catch (err) {
      problems.push(`--${prefix}token-file: cannot read ${tokenFile}: ${(err as Error).message}`);
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  const valid = validToken(text);
  if (valid === undefined) {
    problems.push(
      `the ${prefix ? 'peer ' : ''}token must be at least 16 printable ASCII characters without spaces`,
    );
  }
  return valid;
}

/**
 * The client token the nodes started with this environment will require (RINGCACHE_TOKEN or
 * RINGCACHE_TOKEN_FILE), for a launcher that talks to them; undefined when auth is off or the
 * setting is bad (the nodes then refuse to start and say why).
 */
export function clientTokenOf(env: NodeJS.ProcessEnv, readFile = readUtf8): string | undefined {
  const problems: string[] = [];
  const token = resolveToken('', env.RINGCACHE_TOKEN, env.RINGCACHE_TOKEN_FILE, readFile, problems);
  return problems.length === 0 ? token : undefined;
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}
