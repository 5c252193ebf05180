/**
 * npm run bench:store: every trace and size of PUBLISHED.md through our lru and wtinylfu,
 * beside the published figures, then the traces of ../shared/traces with no published figure
 * (our wtinylfu against our lru); writes bench/results/hitratio.{md,png}.
 * Rows run in up to two worker processes (the machine has two cores).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PUBLISHED_ROWS, type PublishedRow } from './published.js';
import { renderHitRatioPng } from './plot.js';
import { findTrace } from './traces/location.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const WORKERS = 2;

/**
 * Traces with no published figures (PUBLISHED.md), at sizes from a tenth to most of their
 * distinct keys: the check that adapting never costs much against plain LRU, on loops, sweeps
 * and scans as well as on real workloads.
 */
const UNPUBLISHED_ROWS: { file: string; size: number }[] = [
  ['loop.trace.gz', [250, 500, 1000]],
  ['zigzag.trace.gz', [250, 500, 1000, 1500]],
  ['scan.trace.gz', [250, 500, 1000, 1500]],
  ['backf.trace.gz', [100, 250, 500]],
  ['multi1.trace.gz', [250, 500, 1000, 2000]],
  ['cs.trace.gz', [100, 250, 500, 1000]],
  ['ps.trace.gz', [250, 500, 1000, 2000]],
  ['2_pools.trace.gz', [500, 1000, 5000]],
  ['request.trace.xz', [1000, 5000]],
  ['w106.trace.xz', [1000, 5000]],
].flatMap(([file, sizes]) => (sizes as number[]).map((size) => ({ file: file as string, size })));

interface Measured extends PublishedRow {
  ourLru: number;
  ourWtinylfu: number;
}

async function measure(row: { file: string; size: number }, policy: string): Promise<number> {
  const { stdout } = await run(
    process.execPath,
    [resolve(here, 'hitratio.js'), '--trace', row.file, '--size', String(row.size), '--policy', policy],
    { maxBuffer: 1 << 20 },
  );
  const last = stdout.trim().split('\n').pop() ?? '';
  const match = /^hit_ratio=([\d.]+)$/.exec(last);
  if (!match) throw new Error(`unexpected output for ${row.file} ${row.size}: ${last}`);
  return Number(match[1]);
}

async function main(): Promise<void> {
  const only = process.argv[2];
  const wanted = PUBLISHED_ROWS.filter((r) => only === undefined || r.file.startsWith(only));
  // Rows of traces not saved here (DS1, S3) run once their file is added; the others must be there.
  const rows = wanted.filter((r) => !r.optional || findTrace(r.file) !== undefined);
  const skipped = [...new Set(wanted.filter((r) => !rows.includes(r)).map((r) => r.file))];
  if (skipped.length > 0) {
    process.stderr.write(`not in the traces folder, their published rows skipped: ${skipped.join(', ')}\n`);
  }
  const extra = UNPUBLISHED_ROWS.filter((r) => only === undefined || r.file.startsWith(only));
  const jobs = [...rows, ...extra].flatMap((row) =>
    (['lru', 'wtinylfu'] as const).map((policy) => ({ row, policy })),
  );
  const results = new Map<string, number>();
  let next = 0;
  let done = 0;
  const started = Date.now();
  async function worker(): Promise<void> {
    while (next < jobs.length) {
      const job = jobs[next++];
      results.set(`${job.row.file}|${job.row.size}|${job.policy}`, await measure(job.row, job.policy));
      done++;
      const secs = ((Date.now() - started) / 1000).toFixed(0);
      process.stderr.write(
        `[${done}/${jobs.length}, ${secs}s] ${job.row.file} ${job.row.size} ${job.policy}\n`,
      );
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, worker));

  const ours = <Row extends { file: string; size: number }>(row: Row) => ({
    ...row,
    ourLru: results.get(`${row.file}|${row.size}|lru`) as number,
    ourWtinylfu: results.get(`${row.file}|${row.size}|wtinylfu`) as number,
  });
  const measured: Measured[] = rows.map(ours);
  const notRun = skipped.length === 0 ? '' : `\nNot run (trace not in shared/traces): ${skipped.join(', ')}`;
  const table = renderTable(measured) + notRun + '\n\n' + renderUnpublished(extra.map(ours));
  console.log(table);
  if (only === undefined) {
    const out = resolve(repo, 'bench/results');
    mkdirSync(out, { recursive: true });
    writeFileSync(resolve(out, 'hitratio.md'), table + '\n');
    writeFileSync(resolve(out, 'hitratio.png'), await renderHitRatioPng(measured));
    process.stderr.write(`wrote bench/results/hitratio.md and bench/results/hitratio.png\n`);
  }
}

function renderTable(rows: Measured[]): string {
  const lines = [
    '| trace | size | our lru | published lru | our wtinylfu | best published | gap (pp) |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  let within = 0;
  let lruExact = 0;
  let lruRows = 0;
  for (const r of rows) {
    const gap = r.ourWtinylfu - r.best;
    if (gap >= -1) within++;
    if (r.lru !== null) {
      lruRows++;
      if (Math.abs(r.ourLru - r.lru) <= 0.035) lruExact++;
    }
    const size = r.file.endsWith('.bin') ? `${r.size / (1 << 20)} MiB` : String(r.size);
    lines.push(
      `| ${r.file.replace(/\..*$/, '')} | ${size} | ${r.ourLru.toFixed(2)} | ${r.lru?.toFixed(2) ?? '-'} | ` +
        `${r.ourWtinylfu.toFixed(2)} | ${r.best.toFixed(2)} (${r.bestPolicy}) | ${gap >= 0 ? '+' : ''}${gap.toFixed(2)} |`,
    );
  }
  lines.push('');
  lines.push(
    `wtinylfu within 1 pp of the best published policy (or above it): ${within} of ${rows.length} rows`,
  );
  lines.push(`lru equal to the published LRU (within its rounding, ±0.03): ${lruExact} of ${lruRows} rows`);
  return lines.join('\n');
}

function renderUnpublished(
  rows: { file: string; size: number; ourLru: number; ourWtinylfu: number }[],
): string {
  const lines = [
    'Traces with no published figures: our wtinylfu against our lru.',
    '',
    '| trace | size | our lru | our wtinylfu | difference (pp) |',
    '|---|---:|---:|---:|---:|',
  ];
  let behind = 0;
  for (const r of rows) {
    const difference = r.ourWtinylfu - r.ourLru;
    if (difference < -1) behind++;
    lines.push(
      `| ${r.file.replace(/\..*$/, '')} | ${r.size} | ${r.ourLru.toFixed(2)} | ${r.ourWtinylfu.toFixed(2)} | ` +
        `${difference >= 0 ? '+' : ''}${difference.toFixed(2)} |`,
    );
  }
  lines.push('');
  lines.push(`wtinylfu more than 1 pp behind lru: ${behind} of ${rows.length} rows`);
  return lines.join('\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
