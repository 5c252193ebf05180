/**
 * npm run bench:throughput: our store against lru-cache 11 and node-cache 5 on the same
 * workloads (zipfian 0.99 and uniform over 1M keys, 100-byte values): gets/s (the second
 * pass over the key sequence; the first pass's ratio beside it), sets/s and resident bytes
 * per entry, each implementation in its own process, printed with ratios to lru-cache. Each
 * cell is the best of RUNS runs (the machine is shared; the best is the least disturbed).
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
  /** Gets/s of the second pass over the sequence, the steady state. */
  getsPerSecond: number;
  /** Gets/s of the first pass after the fill (JIT warm-up, and our policy's first promotions). */
  firstPassGetsPerSecond: number;
  /** Ours only: gets that build a Uint8Array view of the value. */
  viewGetsPerSecond?: number;
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
            firstPassGetsPerSecond: Math.max(best.firstPassGetsPerSecond, r.firstPassGetsPerSecond),
            viewGetsPerSecond:
              r.viewGetsPerSecond === undefined
                ? undefined
                : Math.max(best.viewGetsPerSecond ?? 0, r.viewGetsPerSecond),
            setsPerSecond: Math.max(best.setsPerSecond, r.setsPerSecond),
            bytesPerEntry: Math.min(best.bytesPerEntry, r.bytesPerEntry),
          };
  }
  return best as Result;
}

const rows: string[] = [
  '| workload | implementation | gets/s | sets/s | bytes/entry (RSS) | get ratio | get ratio, first pass | set ratio | memory ratio | get ratio, as a view |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const distribution of ['zipfian', 'uniform']) {
  const results = IMPLEMENTATIONS.map((impl) => measure(impl, distribution));
  const base = results.find((r) => r.impl === 'lru-cache') as Result;
  for (const r of results) {
    rows.push(
      `| ${distribution} | ${r.impl} | ${(r.getsPerSecond / 1e6).toFixed(2)}M | ${(r.setsPerSecond / 1e6).toFixed(2)}M | ` +
        `${r.bytesPerEntry.toFixed(0)} | ${(r.getsPerSecond / base.getsPerSecond).toFixed(2)}x | ` +
        `${(r.firstPassGetsPerSecond / base.firstPassGetsPerSecond).toFixed(2)}x | ` +
        `${(r.setsPerSecond / base.setsPerSecond).toFixed(2)}x | ${(r.bytesPerEntry / base.bytesPerEntry).toFixed(2)}x | ` +
        `${r.viewGetsPerSecond === undefined ? '' : `${(r.viewGetsPerSecond / base.getsPerSecond).toFixed(2)}x`} |`,
    );
  }
}
console.log(rows.join('\n'));

// Where a get's time goes (bench/throughput/get-path.ts), uniform keys, ns per get.
const getPath = resolve(dirname(fileURLToPath(import.meta.url)), 'throughput/get-path.js');
const path = (subject: string) => {
  process.stderr.write(`get path: ${subject}\n`);
  const out = execFileSync(process.execPath, ['--max-old-space-size=4096', getPath, subject], {
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, number>;
};
const [lru, wtinylfu, reference] = ['lru', 'wtinylfu', 'lru-cache'].map(path);
const ns = (n: number) => `${n.toFixed(0)} ns`;
const step = (label: string, name: string, before?: string) =>
  `| ${label} | ${ns(lru[name])}${before ? ` (+${(lru[name] - lru[before]).toFixed(0)})` : ''} | ` +
  `${ns(wtinylfu[name])}${before ? ` (+${(wtinylfu[name] - wtinylfu[before]).toFixed(0)})` : ''} |`;
console.log(
  [
    '',
    'Where a get goes (uniform, 1M keys; each step adds to the one above; best of 3 passes of 2M gets):',
    '',
    '| step | ringcache-lru | ringcache-wtinylfu |',
    '|---|---:|---:|',
    step('a plain Map lookup of the same keys', 'map'),
    step('`has`: the index lookup and the expiry check in the slot record', 'has', 'map'),
    step('`slotOf`: and the hit recorded for the policy (batched)', 'slotOf', 'has'),
    step(
      "`slotOf` + `locate`: and the value's page, offset and length (a get; nothing allocated)",
      'locate',
      'slotOf',
    ),
    step(
      '`slotOf` + `valueOf`: a Uint8Array view of the value instead (one allocated per get)',
      'get',
      'slotOf',
    ),
    `| lru-cache 11 \`get\` (a Map lookup, a list move, a stored reference) | ${ns(reference.get)} | |`,
  ].join('\n'),
);

// Gets side by side in one process (bench/throughput/paired-gets.ts), both build orders.
const pairedGets = resolve(dirname(fileURLToPath(import.meta.url)), 'throughput/paired-gets.js');
const paired: string[] = [
  '',
  'Gets side by side in one process (chunks of 50,000 gets in turn, 4 passes of 2M; geometric mean of both build orders):',
  '',
  '| workload | policy | ours ns/get | lru-cache ns/get | get ratio | range over the 8 passes |',
  '|---|---|---:|---:|---:|---:|',
];
for (const distribution of ['zipfian', 'uniform']) {
  for (const policy of ['wtinylfu', 'lru']) {
    const runs = ['ours-first', 'lru-cache-first'].map((order) => {
      process.stderr.write(`paired gets: ${policy} ${distribution} ${order}\n`);
      const out = execFileSync(
        process.execPath,
        ['--max-old-space-size=4096', pairedGets, policy, distribution, order],
        {
          encoding: 'utf8',
        },
      );
      return JSON.parse(out.trim().split('\n').pop() as string) as {
        ours: number;
        lruCache: number;
        passRatios: number[];
      };
    });
    const mean = (pick: (r: { ours: number; lruCache: number }) => number) =>
      Math.sqrt(pick(runs[0]) * pick(runs[1]));
    const passRatios = runs.flatMap((r) => r.passRatios);
    const oursNs = mean((r) => r.ours);
    const theirNs = mean((r) => r.lruCache);
    paired.push(
      `| ${distribution} | ${policy} | ${oursNs.toFixed(0)} | ${theirNs.toFixed(0)} | ${(theirNs / oursNs).toFixed(2)}x | ${Math.min(...passRatios).toFixed(2)}-${Math.max(...passRatios).toFixed(2)}x |`,
    );
  }
}
console.log(paired.join('\n'));
