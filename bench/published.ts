/**
 * The rows of shared/traces/PUBLISHED.md: per trace and size, the published exact-LRU figure
 * and the best published online policy (LRU, ARC, LIRS or W-TinyLFU; ARC figures reproduced in
 * PUBLISHED.md count too). Hit ratios in percent; the weighted trace's sizes are bytes.
 */
export interface PublishedRow {
  file: string;
  size: number;
  /** Published LRU (null where PUBLISHED.md only reproduced it). */
  lru: number | null;
  best: number;
  bestPolicy: string;
  /** The trace is not in shared/traces (SOURCES.md: too large to save); the row runs when it is added. */
  optional?: boolean;
}

const row = (
  file: string,
  size: number,
  lru: number | null,
  best: number,
  bestPolicy: string,
): PublishedRow => ({
  file,
  size,
  lru,
  best,
  bestPolicy,
});

const MiB = 1 << 20;
const CLOUD_REQUESTS = 113_872;
const cloud = (mib: number, lruMisses: number, bestMisses: number, bestPolicy: string) =>
  row(
    'cloudPhysicsIO.oracleGeneral.bin',
    mib * MiB,
    round2(100 * (1 - lruMisses / CLOUD_REQUESTS)),
    round2(100 * (1 - bestMisses / CLOUD_REQUESTS)),
    bestPolicy,
  );

/**
 * DS1 and S3 (PUBLISHED.md section 3): the ARC paper's row, and BitFaster's LRU at the sizes it
 * runs (steps of 1,000,000 for DS1, 100,000 for S3). The files are not saved here; a copy under
 * any compression (BitFaster ships `DS1.lis.gz`) dropped into shared/traces adds these rows.
 */
const absent = (file: string, size: number, lru: number, best: number, bestPolicy: string): PublishedRow => ({
  ...row(file, size, lru, best, bestPolicy),
  optional: true,
});
const DS1_LRU = [3.09, 10.74, 18.59, 20.24, 21.03, 33.95, 38.9, 43.03];

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export const PUBLISHED_ROWS: PublishedRow[] = [
  row('OLTP.lis.zst', 250, 16.47, 24.88, 'W-TinyLFU'),
  row('OLTP.lis.zst', 500, 23.45, 33.73, 'W-TinyLFU'),
  row('OLTP.lis.zst', 750, 28.28, 37.46, 'W-TinyLFU'),
  row('OLTP.lis.zst', 1000, 32.83, 40.01, 'W-TinyLFU'),
  row('OLTP.lis.zst', 1250, 36.21, 42.33, 'W-TinyLFU'),
  row('OLTP.lis.zst', 1500, 38.7, 43.8, 'W-TinyLFU'),
  row('OLTP.lis.zst', 1750, 40.79, 45.06, 'W-TinyLFU'),
  row('OLTP.lis.zst', 2000, 42.47, 46.09, 'W-TinyLFU'),
  row('OLTP.lis.zst', 5000, 53.65, 55.25, 'ARC'),
  row('OLTP.lis.zst', 10000, 60.7, 61.87, 'ARC'),
  row('OLTP.lis.zst', 15000, 64.63, 65.4, 'ARC'),
  row('P2.lis.zst', 32768, 18.47, 27.38, 'ARC'),
  row('P3.lis.zst', 32768, 3.57, 17.12, 'ARC'),
  row('P12.lis.zst', 1024, 4.09, 4.16, 'ARC'),
  row('P12.lis.zst', 2048, 4.84, 4.89, 'ARC'),
  row('P12.lis.zst', 4096, 5.61, 5.76, 'ARC'),
  row('P12.lis.zst', 8192, 6.22, 7.14, 'ARC'),
  row('P12.lis.zst', 16384, 7.09, 10.12, 'ARC'),
  row('P12.lis.zst', 32768, 8.93, 15.94, 'ARC'),
  row('P12.lis.zst', 65536, 14.43, 26.09, 'ARC'),
  row('P12.lis.zst', 131072, 29.21, 40.37, 'LIRS'),
  row('P12.lis.zst', 262144, 49.11, 53.65, 'LIRS'),
  row('P12.lis.zst', 524288, 60.91, 63.89, 'LIRS'),
  row('gli.trace.gz', 250, 0.91, 1.38, 'ARC'),
  row('gli.trace.gz', 500, 0.95, 33.05, 'W-TinyLFU'),
  row('gli.trace.gz', 750, 1.15, 1.41, 'ARC'),
  row('gli.trace.gz', 1000, 11.21, 49.3, 'W-TinyLFU'),
  row('gli.trace.gz', 1250, 21.25, 34.43, 'ARC'),
  row('gli.trace.gz', 1500, 36.56, 50.44, 'ARC'),
  row('gli.trace.gz', 1750, 45.04, 55.06, 'ARC'),
  row('gli.trace.gz', 2000, 57.41, 57.97, 'W-TinyLFU'),
  row('multi2.trace.gz', 600, 37.16, 50.83, 'W-TinyLFU'),
  row('multi2.trace.gz', 1800, 48.52, 67.58, 'W-TinyLFU'),
  row('multi2.trace.gz', 3000, 71.2, 77.96, 'W-TinyLFU'),
  row('sprite.trace.gz', 100, 21.61, 31.29, 'W-TinyLFU'),
  row('sprite.trace.gz', 200, 39.9, 49.67, 'W-TinyLFU'),
  row('sprite.trace.gz', 400, 70.79, 70.79, 'LRU'),
  row('sprite.trace.gz', 600, 83.22, 83.22, 'LRU'),
  row('sprite.trace.gz', 800, 88.58, 88.58, 'LRU'),
  row('sprite.trace.gz', 1000, 90.66, 90.66, 'LRU'),
  row('cpp.trace.gz', 20, 0.65, 22.55, 'W-TinyLFU'),
  row('cpp.trace.gz', 35, 0.88, 43.33, 'W-TinyLFU'),
  row('cpp.trace.gz', 50, 9.29, 56.77, 'W-TinyLFU'),
  row('cpp.trace.gz', 80, 44.27, 72.77, 'W-TinyLFU'),
  row('cpp.trace.gz', 100, 69.73, 77.04, 'W-TinyLFU'),
  row('cpp.trace.gz', 300, 83.52, 85.55, 'ARC'),
  row('cpp.trace.gz', 500, 84.81, 85.87, 'W-TinyLFU'),
  row('web07.trace.xz', 75, 31.17, 34.29, 'ARC'),
  row('web07.trace.xz', 300, 41.92, 44.61, 'ARC'),
  row('web07.trace.xz', 1200, 51.66, 54.3, 'ARC'),
  row('web07.trace.xz', 3000, 58.57, 60.46, 'ARC'),
  row('orm-busy.trace.xz', 625, 70.87, 71.23, 'ARC'),
  row('orm-busy.trace.xz', 1250, 79.64, 79.64, 'LRU'),
  row('orm-busy.trace.xz', 2500, 82.22, 82.35, 'ARC'),
  row('orm-busy.trace.xz', 5000, 85.5, 85.74, 'ARC'),
  row('orm-busy.trace.xz', 10000, 89.51, 89.68, 'ARC'),
  row('orm-busy.trace.xz', 20000, 93.63, 94.4, 'W-TinyLFU'),
  row('scarab-recs.trace.xz', 25000, null, 60.13, 'LRU'),
  row('scarab-recs.trace.xz', 50000, null, 69.15, 'LRU'),
  row('scarab-recs.trace.xz', 75000, null, 73.51, 'LRU'),
  row('scarab-recs.trace.xz', 100000, 75.91, 76.09, 'ARC'),
  cloud(128, 93374, 89819, 'LIRS'),
  cloud(256, 89783, 79237, 'LIRS'),
  cloud(384, 83572, 73143, 'LIRS'),
  cloud(512, 81722, 70363, 'LIRS'),
  cloud(640, 72494, 67381, 'ARC'),
  cloud(768, 72104, 64494, 'LIRS'),
  cloud(896, 71972, 58640, 'LIRS'),
  cloud(1024, 71704, 53924, 'LIRS'),
  ...[
    absent('DS1.lis.zst', 2_097_152, 11.65, 22.52, 'ARC'),
    ...DS1_LRU.map((lru, i) => absent('DS1.lis.zst', (i + 1) * 1_000_000, lru, lru, 'LRU')),
    absent('S3.lis.zst', 100_000, 2.33, 2.33, 'LRU'),
    absent('S3.lis.zst', 200_000, 4.63, 4.63, 'LRU'),
    absent('S3.lis.zst', 524_288, 25.26, 40.44, 'ARC'),
  ].sort((a, b) => a.file.localeCompare(b.file) || a.size - b.size),
];
