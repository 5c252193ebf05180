/**
 * npm run bench:throughput: our store against lru-cache 11 and node-cache 5 on the same
 * workloads (zipfian 0.99 and uniform over 1M keys, 100-byte values): gets/s, sets/s and
 * resident bytes per entry, each implementation in its own process, printed with ratios to
 * lru-cache. Each cell is the best of RUNS runs (the machine is shared; the best is the least disturbed).
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPLEMENTATIONS } from './throughput/workload.js';

const worker = resolve(dirname(fileURLToPath(import.meta.url)), 'throughput/worker.js');
const RUNS = Number(process.env.RUNS ?? 2);

interface Result {
  impl: string;
  distribution: string;
  getsPerSecond: number;
  setsPerSecond: number;
  bytesPerEntry: number;
}

function measure(impl: string, distribution: string): Result {
  let best: Result | undefined;
  for (let run = 0; run < RUNS; run++) {
    process.stderr.write(`${impl} ${distribution} run ${run + 1}/${RUNS}\n`);
    const out = execFileSync(
      process.execPath,
      ['--expose-gc', '--max-old-space-size=4096', worker, impl, distribution],
      {
        encoding: 'utf8',
      },
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string) as Result;
    best =
      best === undefined
        ? r
        : {
            ...r,
            getsPerSecond: Math.max(best.getsPerSecond, r.getsPerSecond),
            setsPerSecond: Math.max(best.setsPerSecond, r.setsPerSecond),
            bytesPerEntry: Math.min(best.bytesPerEntry, r.bytesPerEntry),
          };
  }
  return best as Result;
}

const rows: string[] = [
  '| workload | implementation | gets/s | sets/s | bytes/entry (RSS) | get ratio | set ratio | memory ratio |',
  '|---|---|---:|---:|---:|---:|---:|---:|',
];
for (const distribution of ['zipfian', 'uniform']) {
  const results = IMPLEMENTATIONS.map((impl) => measure(impl, distribution));
  const base = results.find((r) => r.impl === 'lru-cache') as Result;
  for (const r of results) {
    rows.push(
      `| ${distribution} | ${r.impl} | ${(r.getsPerSecond / 1e6).toFixed(2)}M | ${(r.setsPerSecond / 1e6).toFixed(2)}M | ` +
        `${r.bytesPerEntry.toFixed(0)} | ${(r.getsPerSecond / base.getsPerSecond).toFixed(2)}x | ` +
        `${(r.setsPerSecond / base.setsPerSecond).toFixed(2)}x | ${(r.bytesPerEntry / base.bytesPerEntry).toFixed(2)}x |`,
    );
  }
}
console.log(rows.join('\n'));
