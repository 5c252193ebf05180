/** `ringcache node` options: precedence, exact messages, --help and the README table. Pure. */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/config/options.js';
import { parseBytes } from '../../src/config/parse.js';
import { NODE_OPTIONS, nodeHelp, parseNodeConfig, type NodeConfig } from '../../src/http/config.js';

const parse = (argv: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) =>
  parseNodeConfig(argv, {
    env,
    hostname: 'host-1',
    readFile: (path) => {
      if (path in files) return files[path];
      throw new Error('ENOENT: no such file');
    },
  }) as NodeConfig;

function problems(argv: string[], env: Record<string, string> = {}): string[] {
  try {
    parse(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('defaults', () => {
  const config = parse([]);
  expect(config).toMatchObject({
    host: '127.0.0.1',
    port: 8080,
    nodeId: 'host-1',
    maxMemory: 256 * 2 ** 20,
    maxValueSize: 2 ** 20,
    evictionPolicy: 'wtinylfu',
    consistency: 'quorum',
    token: undefined,
    metricsAuth: false,
  });
});

test('tombstones are bounded by a tenth of --max-memory unless --max-tombstones says', () => {
  expect(parse([]).maxTombstones).toBe(131_072);
  expect(parse(['--max-memory', '1GiB']).maxTombstones).toBe(524_288);
  expect(parse(['--max-memory', '1GiB', '--max-tombstones', '1000']).maxTombstones).toBe(1000);
  expect(parse(['--max-memory', '1000']).maxTombstones).toBe(1);
});

test('flags win over the environment, which wins over defaults', () => {
  const env = {
    RINGCACHE_PORT: '9000',
    RINGCACHE_MAX_MEMORY: '1GiB',
    RINGCACHE_METRICS_AUTH: 'true',
    RINGCACHE_TOKEN: 'env-token-0123456789',
  };
  expect(parse([], env)).toMatchObject({ port: 9000, maxMemory: 2 ** 30, metricsAuth: true });
  expect(parse(['--port', '9100', '--max-memory=64Mi'], env)).toMatchObject({
    port: 9100,
    maxMemory: 64 * 2 ** 20,
  });
});

test('every problem is reported at once, with the exact message', () => {
  expect(
    problems(['--port', '70000', '--max-memory', 'lots', '--eviction-policy', 'fifo', '--nope']),
  ).toEqual([
    'unknown option "--nope" (see --help)',
    '--port: expected a port from 0 to 65535, got "70000"',
    '--max-memory: expected a size such as 1048576, 512KiB, 64MiB or 1GiB, got "lots"',
    '--eviction-policy: expected one of lru, wtinylfu, got "fifo"',
  ]);
  expect(problems([], { RINGCACHE_MAX_CONNECTIONS: '0' })).toEqual([
    'RINGCACHE_MAX_CONNECTIONS: expected a positive integer, got "0"',
  ]);
  expect(problems(['--port'])).toEqual(['--port needs a value']);
  expect(problems(['--max-batch-size', '1KiB'])).toEqual([
    '--max-batch-size (1024) must be at least --max-value-size (1048576)',
  ]);
  expect(problems(['--ring-source', 'http://demo:8080'])).toEqual([
    '--ring-source: expected host:port, got "http://demo:8080"',
  ]);
  expect(parse([], { RINGCACHE_RING_SOURCE: 'demo.default.svc:8080' }).ringSource).toBe(
    'demo.default.svc:8080',
  );
});

test('the token comes from a file or the environment, never both, and must be strong enough', () => {
  const files = { '/t': '  s3cret-token-0123456789\n' };
  expect(parse(['--token-file', '/t'], {}, files).token).toBe('s3cret-token-0123456789');
  expect(parse([], { RINGCACHE_TOKEN: 'env-token-0123456789' }).token).toBe('env-token-0123456789');
  expect(problems(['--token-file', '/missing'])).toEqual([
    '--token-file: cannot read /missing: ENOENT: no such file',
  ]);
  expect(problems(['--token', 'short'])).toEqual([
    'the token must be at least 16 printable ASCII characters without spaces',
  ]);
  expect(() => parse(['--token-file', '/t', '--token', 'x'.repeat(20)], {}, files)).toThrow(
    'give --token or --token-file, not both',
  );
});

test('--metrics-auth without a token is refused: there would be nothing to require', () => {
  expect(problems(['--metrics-auth'])).toEqual([
    '--metrics-auth needs a token to require (--token-file or --token)',
  ]);
  expect(parse(['--metrics-auth'], { RINGCACHE_TOKEN: 'env-token-0123456789' }).metricsAuth).toBe(true);
});

test('the peer credential follows the client token file unless it has its own', () => {
  const files = { '/t': 'client-token-0123456789', '/p': 'peer-token-0123456789' };
  const shared = parse(['--token-file', '/t'], {}, files);
  expect([shared.peerToken, shared.peerTokenFile]).toEqual(['client-token-0123456789', '/t']);
  const own = parse(['--token-file', '/t', '--peer-token-file', '/p'], {}, files);
  expect([own.peerToken, own.peerTokenFile]).toEqual(['peer-token-0123456789', '/p']);
  const value = parse(['--token-file', '/t', '--peer-token', 'peer-value-0123456789'], {}, files);
  expect([value.peerToken, value.peerTokenFile]).toEqual(['peer-value-0123456789', undefined]);
});

test('sizes accept bytes and binary or decimal units', () => {
  expect([
    parseBytes('1048576'),
    parseBytes('512KiB'),
    parseBytes('64Mi'),
    parseBytes('1GB'),
    parseBytes('1.5k'),
  ]).toEqual([1048576, 524288, 67108864, 1e9, 1536]);
  expect(() => parseBytes('0')).toThrow('expected a positive size, got "0"');
});

test('--help and the README list every option with its environment variable', () => {
  const help = nodeHelp();
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const spec of Object.values(NODE_OPTIONS)) {
    expect(help).toContain(spec.flag);
    expect(help).toContain(spec.env);
    expect(readme).toContain(`| \`${spec.flag}\` | \`${spec.env}\` |`);
  }
  expect(parseNodeConfig(['--help'])).toBe('help');
});
