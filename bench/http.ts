/**
 * bench:http — our node against the physical limit on this machine, in one run: a bare
 * node:http server answering from a Map (bench/http/bare-server.ts). Each server is pinned to
 * core 0, wrk to core 1; GET and PUT of 100-byte values over 50 connections, rounds alternate
 * between the servers so drift hits both alike. Prints requests/s, p50/p99 and the ratio, and
 * writes bench/results/http.md.
 *
 *   npm run bench:http -- [--duration 10] [--rounds 3] [--connections 50]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

interface Args {
  duration: number;
  rounds: number;
  connections: number;
  keys: number;
}

interface Run {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
}

const SERVER_CORE = '0';
const LOAD_CORE = '1';

function parseArgs(argv: string[]): Args {
  const args: Args = { duration: 10, rounds: 3, connections: 50, keys: 10_000 };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, '') as keyof Args;
    const value = Number(argv[i + 1]);
    if (!(name in args) || !(value > 0))
      throw new Error(`usage: bench:http [--duration s] [--rounds n] [--connections n] [--keys n]`);
    args[name] = value;
  }
  return args;
}

async function startPinned(command: string[], portFromStdout: (line: string) => number | undefined) {
  const child = spawn('taskset', ['-c', SERVER_CORE, ...command], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const port = portFromStdout(line);
    if (port !== undefined) return { child, port };
  }
  throw new Error(`${command.join(' ')} exited before listening`);
}

async function preload(port: number, keys: number): Promise<void> {
  const value = Buffer.alloc(100, 'v');
  for (let start = 0; start < keys; start += 100) {
    const batch = [];
    for (let k = start; k < Math.min(keys, start + 100); k++) {
      batch.push(fetch(`http://127.0.0.1:${port}/v1/keys/k${k}`, { method: 'PUT', body: value }));
    }
    for (const response of await Promise.all(batch)) {
      if (response.status >= 300) throw new Error(`preload answered ${response.status}`);
    }
  }
}

function wrk(port: number, script: string, args: Args, seconds: number): Run {
  const result = spawnSync(
    'taskset',
    [
      '-c',
      LOAD_CORE,
      'wrk',
      '-t1',
      `-c${args.connections}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      script,
      `http://127.0.0.1:${port}`,
    ],
    { encoding: 'utf8', env: { ...process.env, RINGCACHE_BENCH_KEYS: String(args.keys) } },
  );
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  return parseWrk(result.stdout);
}

/** Reads requests/s, the 50% and 99% latencies and the non-2xx count from wrk's report. */
export function parseWrk(output: string): Run {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /\s50%\s+([\d.]+)(us|ms|s)/.exec(output);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  if (!rps || !p50 || !p99) throw new Error(`cannot read wrk output:\n${output}`);
  return {
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1], p50[2]),
    p99Ms: toMs(p99[1], p99[2]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

function toMs(value: string, unit: string): number {
  return Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  return sorted[Math.floor(sorted.length / 2)];
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (spawnSync('wrk', ['--version']).error) {
    throw new Error('wrk is not installed: apt-get install -y wrk');
  }
  const bare = await startPinned(['node', 'dist/bench/http/bare-server.js', '0'], (line) =>
    /^\d+$/.test(line) ? Number(line) : undefined,
  );
  const ours = await startPinned(
    ['node', 'bin/ringcache.js', 'node', '--port', '0', '--max-memory', '256MiB', '--log-level', 'info'],
    (line) => {
      const match = /"msg":"listening","url":"http:\/\/[^:]+:(\d+)"/.exec(line);
      return match ? Number(match[1]) : undefined;
    },
  );
  try {
    const servers = { bare: bare.port, ringcache: ours.port };
    const results: Record<string, Run[]> = {};
    for (const [name, port] of Object.entries(servers)) {
      await preload(port, args.keys);
      process.stderr.write(`warming ${name}\n`);
      wrk(port, 'bench/http/get.lua', args, 2);
      wrk(port, 'bench/http/put.lua', args, 2);
    }
    for (let round = 1; round <= args.rounds; round++) {
      for (const op of ['get', 'put']) {
        for (const [name, port] of Object.entries(servers)) {
          process.stderr.write(
            `round ${round}/${args.rounds}: ${op.toUpperCase()} ${name} (${args.duration} s)\n`,
          );
          const run = wrk(port, `bench/http/${op}.lua`, args, args.duration);
          (results[`${name} ${op}`] ??= []).push(run);
          if (run.non2xx > 0) process.stderr.write(`  warning: ${run.non2xx} non-2xx answers\n`);
        }
      }
    }
    const targets: Record<string, number> = { get: 0.85, put: 0.75 };
    const lines = [
      `| operation | bare node:http req/s | ringcache req/s | ratio | target | bare p50 / p99 ms | ringcache p50 / p99 ms |`,
      '|---|---|---|---|---|---|---|',
    ];
    for (const op of ['get', 'put']) {
      const b = median(results[`bare ${op}`]);
      const r = median(results[`ringcache ${op}`]);
      const ratio = r.requestsPerSecond / b.requestsPerSecond;
      lines.push(
        `| ${op.toUpperCase()} 100 B | ${b.requestsPerSecond.toFixed(0)} | ${r.requestsPerSecond.toFixed(0)} | ${ratio.toFixed(2)}x | >= ${targets[op]}x ${ratio >= targets[op] ? '(met)' : '(MISSED)'} | ${b.p50Ms.toFixed(2)} / ${b.p99Ms.toFixed(2)} | ${r.p50Ms.toFixed(2)} / ${r.p99Ms.toFixed(2)} |`,
      );
    }
    const table = lines.join('\n');
    const note = `${args.connections} connections, ${args.keys} keys, median of ${args.rounds} rounds of ${args.duration} s; server on core ${SERVER_CORE}, wrk on core ${LOAD_CORE}.`;
    process.stdout.write(`${table}\n\n${note}\n`);
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/http.md', `${table}\n\n${note}\n`);
  } finally {
    await Promise.all([stop(bare.child), stop(ours.child)]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
