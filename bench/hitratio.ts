/**
 * npm run bench:hitratio -- --trace <file> --size <entries|bytes> --policy <lru|wtinylfu> [--seed n] [--format f]
 * Replays one trace and prints `hit_ratio=<percent>` as its last line. `--trace` is a path, or a
 * file name in ../shared/traces; `--format` overrides the layout read from its name and content
 * (traces/detect.ts). Bad arguments and unreadable traces exit 2 with one line on stderr.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { POLICY_NAMES } from '../node/src/store/options.js';
import type { EvictionPolicyName } from '../node/src/store/policy/policy.js';
import { simulate } from './simulate.js';
import { TRACE_FORMATS, type TraceFormat } from './traces/detect.js';
import { readTrace } from './traces/read.js';
import { tracePath } from './traces/location.js';

function main(): void {
  const { values } = parseArgs({
    options: {
      trace: { type: 'string' },
      size: { type: 'string' },
      policy: { type: 'string', default: 'wtinylfu' },
      seed: { type: 'string', default: '42' },
      format: { type: 'string' },
    },
  });
  if (values.trace === undefined || values.size === undefined) {
    fail(
      'usage: bench:hitratio -- --trace <file> --size <entries, or bytes for a weighted trace> --policy <lru|wtinylfu> [--seed <n>] [--format <format>]',
    );
  }
  const path = existsSync(values.trace) ? resolve(values.trace) : tracePath(values.trace);
  const size = Number(values.size);
  if (!Number.isSafeInteger(size) || size <= 0) fail(`--size must be a positive integer, got ${values.size}`);
  const policy = values.policy as EvictionPolicyName;
  if (!POLICY_NAMES.includes(policy))
    fail(`--policy must be one of ${POLICY_NAMES.join(', ')}, got ${policy}`);

  const format = values.format as TraceFormat | undefined;
  if (format !== undefined && !TRACE_FORMATS.includes(format))
    fail(`--format must be one of ${TRACE_FORMATS.join(', ')}, got ${format}`);
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, got ${values.seed}`);

  process.stderr.write(`reading ${path}\n`);
  const trace = readTrace(path, format);
  if (trace.keys.length === 0) fail(`${path} holds no requests`);
  const started = process.hrtime.bigint();
  const result = simulate(trace, size, policy, {
    seed,
    onProgress: (done) =>
      process.stderr.write(`\r${trace.name}: ${((100 * done) / trace.keys.length).toFixed(0)}%`),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stderr.write(`\r${trace.name}: ${result.requests} requests in ${seconds.toFixed(1)} s\n`);
  console.log(`requests=${result.requests} hits=${result.hits} missed_bytes=${result.missedBytes}`);
  console.log(`hit_ratio=${result.hitRatio.toFixed(2)}`);
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

try {
  main();
} catch (err) {
  fail(`bench:hitratio: ${err instanceof Error ? err.message : String(err)}`);
}
