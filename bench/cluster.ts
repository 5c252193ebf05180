/**
 * bench:cluster — what the cluster costs and how fast it moves data, on real node processes:
 *
 * 1. forwarding: keys sent to a node that does not own them (it forwards) vs straight to
 *    their primary; throughput and latency ratios (3 nodes, RF 2, quorum);
 * 2. the client library (ring-aware) vs plain HTTP to one fixed node, same load;
 * 3. CPU seconds per acknowledged write, 3 nodes at RF 2 quorum vs one node (target <= 2.2x),
 *    summed over the nodes' processes from /proc after a warm-up of as many writes; beside it
 *    2 nodes at RF 2 (the same two copies per write, one process fewer on this machine's two
 *    cores) and, as a control, 3 nodes at RF 1 (no replication: what the processes alone cost);
 * 4. rebalance: 1 GB of 1 KiB values on one node, a second joins (RF 2: it receives all of
 *    them); MB/s until the hand-off completes (target >= 100 MB/s);
 * 5. ring balance, short: primary keys per member over 200 000 keys (the full tables, with
 *    movement on join and leave: npm run bench:ring).
 *
 * The load generator runs in this process (closed loop, `--concurrency` requests in flight).
 * Prints progress and a table, writes bench/results/cluster.md.
 *
 *   npm run bench:cluster -- [--duration 8] [--concurrency 32] [--rebalance-mb 1024] [--quick]
 *                            [--only cpu,client,forwarding,rebalance] [--repeat n] [--profile dir]
 *
 * `--only` runs some sections and prints their figures without writing the results file;
 * `--repeat` measures CPU per write n times (the configurations interleaved) and reports each.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { RingcacheClient } from '../node/src/client/index.js';
import { BATCH_CONTENT_TYPE, encodeFrames } from '../node/src/http/batch-format.js';
import { LocalCluster } from '../node/src/local/local-cluster.js';
import { perUnit, sumCounters, type ProcessCounters } from './proc-counters.js';
import { buildRing, ownersForWrite, primaryOf } from '../node/src/ring/index.js';

const SECTIONS = ['forwarding', 'client', 'cpu', 'rebalance'] as const;
type Section = (typeof SECTIONS)[number];

interface Args {
  duration: number;
  concurrency: number;
  rebalanceMb: number;
  writes: number;
  repeat: number;
}

/** `--profile DIR`: every node process writes a CPU profile there when it stops. */
let profileDir: string | undefined;

const USAGE =
  'usage: bench:cluster [--duration s] [--concurrency n] [--rebalance-mb n] [--writes n] [--repeat n] [--quick] [--only a,b] [--profile dir]';

function parseArgs(argv: string[]): { args: Args; only: Set<Section> | undefined } {
  const args: Args = { duration: 8, concurrency: 32, rebalanceMb: 1024, writes: 40_000, repeat: 1 };
  let only: Set<Section> | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') {
      Object.assign(args, { duration: 3, rebalanceMb: 128, writes: 10_000 });
      continue;
    }
    if (argv[i] === '--profile') {
      profileDir = argv[++i];
      continue;
    }
    if (argv[i] === '--only') {
      const names = (argv[++i] ?? '').split(',');
      if (!names.every((n) => (SECTIONS as readonly string[]).includes(n))) throw new Error(USAGE);
      only = new Set(names as Section[]);
      continue;
    }
    const name = argv[i]
      .replace(/^--/, '')
      .replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase()) as keyof Args;
    const value = Number(argv[++i]);
    if (!(name in args) || !(value > 0)) throw new Error(USAGE);
    args[name] = value;
  }
  return { args, only };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const VALUE = Buffer.alloc(100, 'v');

interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** Closed-loop load: `concurrency` workers each sending `send(i)` until the time is up. */
async function load(
  seconds: number,
  concurrency: number,
  send: (i: number) => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        const ok = await send(next++).catch(() => false);
        latencies.push(performance.now() - started);
        if (!ok) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { requestsPerSecond: latencies.length / seconds, p50Ms: at(0.5), p99Ms: at(0.99), errors };
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function http(
  address: string,
  method: string,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
) {
  const [host, port] = address.split(':');
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request({ agent, host, port: Number(port), method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const put = async (address: string, key: string) => {
  const { status } = await http(address, 'PUT', `/v1/keys/${key}`, VALUE);
  return status === 201 || status === 204;
};
const get = async (address: string, key: string) =>
  (await http(address, 'GET', `/v1/keys/${key}`)).status === 200;

/** SIGKILL, or SIGTERM when profiling (a node writes its profile as it exits). */
async function stopCluster(cluster: LocalCluster): Promise<void> {
  if (profileDir === undefined) return cluster.stop();
  await Promise.all([...cluster.nodes.keys()].map((id) => cluster.stopNode(id, 'SIGTERM')));
}

async function startCluster(
  nodes: number,
  nodeArgs: string[] = [],
  replicationFactor = 2,
): Promise<LocalCluster> {
  const cluster = new LocalCluster({
    replicationFactor,
    nodeArgs: ['--max-memory', '1GiB', ...nodeArgs],
    execArgv: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  });
  await cluster.start(nodes);
  return cluster;
}

async function forwarding(args: Args) {
  log('== forwarding: via a non-owner vs straight to the primary (3 nodes, RF 2, quorum)');
  const cluster = await startCluster(3);
  try {
    const ring = buildRing(cluster.ring);
    const [primary, , outsider] = [...cluster.nodes.keys()].sort();
    // Keys owned by `primary` (first) and not by `outsider` at all: the outsider must forward.
    const keys: string[] = [];
    const owners: string[] = [];
    for (let i = 0; keys.length < 2000; i++) {
      const key = `fw-${i}`;
      ownersForWrite(ring, key, owners);
      if (owners[0] === primary && !owners.includes(outsider)) keys.push(key);
    }
    const direct = cluster.nodes.get(primary)!.address;
    const via = cluster.nodes.get(outsider)!.address;
    await Promise.all(keys.map((k) => put(direct, k)));
    const result = {
      getDirect: await load(args.duration, args.concurrency, (i) => get(direct, keys[i % keys.length])),
      getVia: await load(args.duration, args.concurrency, (i) => get(via, keys[i % keys.length])),
      putDirect: await load(args.duration, args.concurrency, (i) => put(direct, keys[i % keys.length])),
      putVia: await load(args.duration, args.concurrency, (i) => put(via, keys[i % keys.length])),
    };
    for (const [name, r] of Object.entries(result)) {
      log(
        `  ${name}: ${Math.round(r.requestsPerSecond)} req/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}`,
      );
    }
    return result;
  } finally {
    await stopCluster(cluster);
  }
}

async function clientVsHttp(args: Args) {
  log('== the client library vs plain HTTP to one node (3 nodes, RF 2, quorum; GET and PUT of 100 B)');
  const cluster = await startCluster(3);
  const addresses = [...cluster.nodes.values()].map((n) => n.address);
  const client = new RingcacheClient({ endpoints: addresses, maxSockets: 64 });
  try {
    const keys = Array.from({ length: 2000 }, (_, i) => `cl-${i}`);
    for (const key of keys) await client.set(key, VALUE);
    const fixed = addresses[0];
    const result = {
      clientGet: await load(
        args.duration,
        args.concurrency,
        async (i) => (await client.get(keys[i % keys.length])) !== undefined,
      ),
      httpGet: await load(args.duration, args.concurrency, (i) => get(fixed, keys[i % keys.length])),
      clientPut: await load(args.duration, args.concurrency, async (i) => {
        await client.set(keys[i % keys.length], VALUE);
        return true;
      }),
      httpPut: await load(args.duration, args.concurrency, (i) => put(fixed, keys[i % keys.length])),
    };
    for (const [name, r] of Object.entries(result)) {
      log(
        `  ${name}: ${Math.round(r.requestsPerSecond)} req/s p50 ${r.p50Ms.toFixed(2)} ms p99 ${r.p99Ms.toFixed(2)} ms errors ${r.errors}`,
      );
    }
    return result;
  } finally {
    client.close();
    await stopCluster(cluster);
  }
}

/** CPU seconds per acknowledged write through the ring-aware client (no forwarding hop). */
async function cpuPerWrite(args: Args, nodes: number, replicationFactor = 2) {
  const cluster = await startCluster(nodes, [], replicationFactor);
  const client = new RingcacheClient({
    endpoints: [...cluster.nodes.values()].map((n) => n.address),
    maxSockets: 64,
  });
  // Closed loop of `count` writes over 10 000 keys, `concurrency` in flight; the acknowledged count.
  const writeLoop = async (count: number) => {
    let acked = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next < count) {
          const i = next++;
          await client.set(`cpu-${i % 10_000}`, VALUE).then(
            () => acked++,
            () => {},
          );
        }
      }),
    );
    return acked;
  };
  try {
    // Warm up first: until the JIT has compiled the paths a node spends much of its CPU
    // compiling, and three nodes compile three times (cold, the ratio read 6.2x for 5.4x warm).
    await writeLoop(args.writes);
    const pids = [...cluster.nodes.values()].map((n) => n.child.pid!);
    const before = sumCounters(pids);
    const acked = await writeLoop(args.writes);
    const spent = perUnit(before, sumCounters(pids), acked);
    log(
      `  ${nodes} node(s), RF ${Math.min(nodes, replicationFactor)}: ${acked} acknowledged writes, ` +
        `${(spent.cpuSeconds * 1e6).toFixed(1)} µs/write, ${spent.syscalls.toFixed(2)} reads+writes/write, ` +
        `${spent.contextSwitches.toFixed(2)} context switches/write`,
    );
    return spent;
  } finally {
    client.close();
    await stopCluster(cluster);
  }
}

async function status(address: string) {
  const { body } = await http(address, 'GET', '/v1/status');
  return JSON.parse(body.toString()) as {
    store: { keys: number; bytes: number };
    cluster: { handoffComplete: boolean; rebalanceSent: number };
  };
}

async function rebalance(args: Args) {
  const entries = Math.round((args.rebalanceMb * 1024 * 1024) / 1024);
  log(
    `== rebalance: ${entries} values of 1 KiB (${args.rebalanceMb} MiB) on one node; a second joins (RF 2)`,
  );
  const memory = `${Math.ceil((args.rebalanceMb * 1.6) / 1024) + 1}GiB`;
  const cluster = new LocalCluster({
    replicationFactor: 2,
    nodeArgs: ['--max-memory', memory, '--max-batch-keys', '1000'],
  });
  try {
    await cluster.start(1);
    const source = [...cluster.nodes.values()][0].address;
    const value = Buffer.alloc(1024, 'r');
    const started = performance.now();
    for (let done = 0; done < entries;) {
      const frames = [];
      for (let i = 0; i < 1000 && done < entries; i++, done++)
        frames.push({ header: { key: `rb-${done}`, size: value.length }, value });
      const { status: code } = await http(source, 'POST', '/v1/batch/set', encodeFrames(frames), {
        'content-type': BATCH_CONTENT_TYPE,
      });
      if (code !== 200) throw new Error(`batch set answered ${code}`);
      if (done % 100_000 === 0) log(`  loaded ${done}/${entries}`);
    }
    log(`  loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const joiner = await cluster.spawnNode();
    const t0 = performance.now();
    await cluster.publish([
      ...cluster.ring.members,
      { id: joiner.id, address: joiner.ringAddress, state: 'joining' },
    ]);
    let last = 0;
    for (;;) {
      const [from, to] = await Promise.all([status(source), status(joiner.address)]);
      const seconds = (performance.now() - t0) / 1000;
      if (seconds - last >= 1) {
        last = seconds;
        log(`  ${seconds.toFixed(1)} s: ${to.store.keys}/${entries} entries on the joiner`);
      }
      if (from.cluster.handoffComplete && to.store.keys >= entries) break;
      if (seconds > 600) throw new Error('the hand-off did not finish within 10 minutes');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const megabytes = (entries * 1024) / 1024 / 1024;
    log(
      `  moved ${megabytes.toFixed(0)} MiB in ${seconds.toFixed(2)} s = ${(megabytes / seconds).toFixed(0)} MiB/s`,
    );
    return { entries, megabytes, seconds, mbPerSecond: megabytes / seconds };
  } finally {
    await stopCluster(cluster);
  }
}

/** Primary keys per member over 200 000 keys: max/mean and min/mean (bench:ring has the full study). */
function balance(): string[] {
  const rows = ['| members | max/mean | min/mean |', '|---:|---:|---:|'];
  for (const members of [3, 8, 64]) {
    const ring = buildRing({
      epoch: 1,
      replicationFactor: 2,
      members: Array.from({ length: members }, (_, i) => ({
        id: `demo-${i}`,
        address: `demo-${i}:8080`,
        state: 'active' as const,
      })),
    });
    const counts = new Map<string, number>();
    const keys = 200_000;
    for (let i = 0; i < keys; i++) {
      const id = primaryOf(ring, `key-${i}`) as string;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const mean = keys / members;
    const values = [...counts.values()];
    rows.push(
      `| ${members} | ${(Math.max(...values) / mean).toFixed(3)} | ${(Math.min(...values) / mean).toFixed(3)} |`,
    );
  }
  return rows;
}

/** What the nodes spent per acknowledged write, in each configuration. */
interface CpuRun {
  single: ProcessCounters;
  /** 3 nodes, RF 2: the headline figure. */
  clustered: ProcessCounters;
  /** 2 nodes, RF 2: the same work per write (two copies), one process fewer on the two cores. */
  pair: ProcessCounters;
  /** 3 nodes, RF 1: no replication at all; what three processes cost by themselves. */
  unreplicated: ProcessCounters;
}

const CONFIGURATIONS = [
  ['single', 'one node'],
  ['clustered', '3 nodes, RF 2 quorum'],
  ['pair', '2 nodes, RF 2 quorum'],
  ['unreplicated', '3 nodes, RF 1'],
] as const;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/**
 * CPU per write on one node and on the clusters, `repeat` times, interleaved so load drifts
 * hit every configuration alike.
 */
async function cpuRuns(args: Args) {
  log('== CPU seconds per acknowledged write');
  const runs: CpuRun[] = [];
  for (let i = 0; i < args.repeat; i++) {
    const single = await cpuPerWrite(args, 1);
    const clustered = await cpuPerWrite(args, 3);
    const pair = await cpuPerWrite(args, 2);
    const unreplicated = await cpuPerWrite(args, 3, 1);
    const cpu = (c: ProcessCounters) => (c.cpuSeconds / single.cpuSeconds).toFixed(2);
    log(
      `  ratios: 3 nodes RF 2 ${cpu(clustered)}x, 2 nodes RF 2 ${cpu(pair)}x, 3 nodes RF 1 ${cpu(unreplicated)}x`,
    );
    runs.push({ single, clustered, pair, unreplicated });
  }
  const ratios = (pick: (r: CpuRun) => ProcessCounters) =>
    runs.map((r) => pick(r).cpuSeconds / r.single.cpuSeconds);
  /** Per configuration, the median of each counter over the runs. */
  const medians = CONFIGURATIONS.map(([name, label]) => {
    const of = (field: keyof ProcessCounters) => median(runs.map((r) => r[name][field]));
    return {
      label,
      cpuSeconds: of('cpuSeconds'),
      syscalls: of('syscalls'),
      contextSwitches: of('contextSwitches'),
    };
  });
  for (const m of medians)
    log(
      `  median, ${m.label}: ${(m.cpuSeconds * 1e6).toFixed(1)} µs, ${m.syscalls.toFixed(2)} reads+writes, ${m.contextSwitches.toFixed(2)} context switches per write`,
    );
  return {
    medians,
    ratios: ratios((r) => r.clustered),
    pairRatios: ratios((r) => r.pair),
    unreplicatedRatios: ratios((r) => r.unreplicated),
  };
}

const list = (values: number[]) => values.map((r) => r.toFixed(2)).join(', ');

const loadLine = () => {
  const [one, five] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return `load average ${one} (1 min) ${five} (5 min)`;
};

async function main() {
  const { args, only } = parseArgs(process.argv.slice(2));
  if (only !== undefined) {
    log(loadLine());
    if (only.has('forwarding')) await forwarding(args);
    if (only.has('client')) {
      const cl = await clientVsHttp(args);
      log(
        `client/http GET ${(cl.clientGet.requestsPerSecond / cl.httpGet.requestsPerSecond).toFixed(2)}x PUT ${(cl.clientPut.requestsPerSecond / cl.httpPut.requestsPerSecond).toFixed(2)}x`,
      );
    }
    if (only.has('cpu')) {
      const cpu = await cpuRuns(args);
      log(`cpu_per_write_ratio_2_nodes=${cpu.pairRatios.map((r) => r.toFixed(2)).join(',')}`);
      log(`cpu_per_write_ratio_3_nodes_rf1=${cpu.unreplicatedRatios.map((r) => r.toFixed(2)).join(',')}`);
      log(`cpu_per_write_ratio=${cpu.ratios.map((r) => r.toFixed(2)).join(',')}`);
    }
    if (only.has('rebalance')) log(`rebalance_mb_per_s=${(await rebalance(args)).mbPerSecond.toFixed(0)}`);
    log(loadLine());
    agent.destroy();
    return;
  }
  const loadBefore = loadLine();
  const fw = await forwarding(args);
  const cl = await clientVsHttp(args);
  const { medians, ratios, pairRatios, unreplicatedRatios } = await cpuRuns(args);
  const rb = await rebalance(args);
  const loadAfter = loadLine();

  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
  const row = (name: string, a: LoadResult, b: LoadResult) =>
    `| ${name} | ${Math.round(a.requestsPerSecond)} | ${Math.round(b.requestsPerSecond)} | ${ratio(b.requestsPerSecond, a.requestsPerSecond)} | ${a.p50Ms.toFixed(2)} / ${a.p99Ms.toFixed(2)} | ${b.p50Ms.toFixed(2)} / ${b.p99Ms.toFixed(2)} |`;
  const table = [
    `| comparison | baseline req/s | measured req/s | throughput ratio | baseline p50 / p99 ms | measured p50 / p99 ms |`,
    `|---|---:|---:|---:|---|---|`,
    row('GET via a non-owner (baseline: to the primary)', fw.getDirect, fw.getVia),
    row('PUT via a non-owner (baseline: to the primary)', fw.putDirect, fw.putVia),
    row('GET with the client (baseline: plain HTTP to one node)', cl.httpGet, cl.clientGet),
    row('PUT with the client (baseline: plain HTTP to one node)', cl.httpPut, cl.clientPut),
    '',
    `| figure | measured | target |`,
    `|---|---:|---:|`,
    ...medians.map(
      (m) =>
        `| per acknowledged write, ${m.label} (all nodes): CPU; read + write system calls; context switches | ${(m.cpuSeconds * 1e6).toFixed(1)} µs; ${m.syscalls.toFixed(2)}; ${m.contextSwitches.toFixed(2)} | |`,
    ),
    `| ratio, 3 nodes RF 2${ratios.length > 1 ? ` (median of ${ratios.length} runs: ${list(ratios)})` : ''} | ${median(ratios).toFixed(2)}x | <= 2.2x |`,
    `| ratio, 2 nodes RF 2: the same two copies per write, one process fewer${pairRatios.length > 1 ? ` (${list(pairRatios)})` : ''} | ${median(pairRatios).toFixed(2)}x | <= 2.2x |`,
    `| control: 3 nodes RF 1, no replication${unreplicatedRatios.length > 1 ? ` (${list(unreplicatedRatios)})` : ''} | ${median(unreplicatedRatios).toFixed(2)}x | |`,
    `| rebalance, ${rb.megabytes.toFixed(0)} MiB of 1 KiB values to a joining node | ${rb.mbPerSecond.toFixed(0)} MiB/s (${rb.seconds.toFixed(1)} s) | >= 100 MB/s |`,
  ].join('\n');
  log('== ring balance (2048 vnodes; full tables: npm run bench:ring)');
  const ringTable = balance().join('\n');
  log(`\n${table}\n\n${ringTable}`);
  log(`cpu_per_write_ratio_2_nodes=${median(pairRatios).toFixed(2)}`);
  log(`cpu_per_write_ratio=${median(ratios).toFixed(2)}`);
  log(`rebalance_mb_per_s=${rb.mbPerSecond.toFixed(0)}`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/cluster.md',
    `# bench:cluster\n\n${new Date().toISOString()}, ${JSON.stringify(args)}\n\nBefore: ${loadBefore}; after: ${loadAfter}.\n\n${table}\n\nRing balance, primary keys per member over 200 000 keys (full tables: \`npm run bench:ring\`):\n\n${ringTable}\n`,
  );
  agent.destroy();
}

await main();
