/**
 * bench:ring — balance, movement, cost and speed of the ring (docs/ring.md). Prints Markdown
 * tables, writes them to bench/results/ring.md and between the figure markers of docs/ring.md.
 * Progress goes to stderr.
 *
 *   npm run bench:ring -- [--keys 1000000]
 *
 * 1. Balance: primary keys per member over `--keys` keys (max/mean, min/mean), members named
 *    like StatefulSet pods (demo-0, demo-1, ...), for several vnode counts.
 * 2. Balance for any names: the exact share of the hash circle (no key sampling) of the most
 *    loaded member, over 20 clusters with different names (median and worst).
 * 3. Movement: keys whose primary / RF-2 owner set changes when one member joins or leaves.
 * 4. Cost: tokens, memory (tokens, owners, search buckets) and build time of one ring.
 * 5. Lookups per second, beside hashing the key alone and a Map lookup of the key (the
 *    cheapest way to name a key's member: a table already built).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { murmur3 } from '../node/src/ring/hash.js';
import { ANY, buildRing, DEFAULT_VNODES, ownersOfHash, type Ring } from '../node/src/ring/ring.js';
import { ownersForWrite, primaryOf } from '../node/src/ring/ownership.js';

const SIZES = [3, 5, 8, 16, 32, 64];
const VNODES = [256, 512, 1024, DEFAULT_VNODES];
const CLUSTERS = Array.from({ length: 20 }, (_, i) => `cluster${i}`);

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const keyCount = argument('--keys', 1_000_000);
const progress = (text: string) => process.stderr.write(`${text}\n`);
const names = (n: number, prefix = 'demo') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

const hashes = new Uint32Array(keyCount);
for (let i = 0; i < keyCount; i++) hashes[i] = murmur3(`key:${i}`);

/** Primary member index of every key (the ring's `ids` order). */
function primaries(ring: Ring): Uint16Array {
  const index = new Map(ring.ids.map((id, i) => [id, i]));
  const out: string[] = [];
  const result = new Uint16Array(keyCount);
  for (let i = 0; i < keyCount; i++) result[i] = index.get(ownersOfHash(ring, hashes[i], 1, ANY, out)[0])!;
  return result;
}

function sampledBalance(ring: Ring): { max: number; min: number } {
  const counts = new Float64Array(ring.ids.length);
  for (const owner of primaries(ring)) counts[owner]++;
  const mean = keyCount / ring.ids.length;
  return { max: Math.max(...counts) / mean, min: Math.min(...counts) / mean };
}

/** Max/mean of the exact shares of the circle: a key belongs to the first token >= its hash. */
function exactMaxOverMean(ring: Ring): number {
  const { tokens, owners } = ring;
  const share = new Float64Array(ring.ids.length);
  const last = tokens.length - 1;
  share[owners[0]] += tokens[0] + 2 ** 32 - tokens[last];
  for (let i = 1; i <= last; i++) share[owners[i]] += tokens[i] - tokens[i - 1];
  return (Math.max(...share) / 2 ** 32) * ring.ids.length;
}

/** Fraction of keys whose first `count` owners differ between two rings. */
function moved(before: Ring, after: Ring, count: number): number {
  const a: string[] = [];
  const b: string[] = [];
  let n = 0;
  for (let i = 0; i < keyCount; i++) {
    ownersOfHash(before, hashes[i], count, ANY, a);
    ownersOfHash(after, hashes[i], count, ANY, b);
    if (a.some((id) => !b.includes(id))) n++;
  }
  return n / keyCount;
}

/** Best of three runs of `ops` calls, in millions per second (the machine is shared). */
function rate(ops: number, run: (i: number) => number): number {
  let best = 0;
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < ops; i++) sink += run(i);
    best = Math.max(best, ops / (performance.now() - started) / 1000);
  }
  if (sink === -1) progress('');
  return best;
}

const lines: string[] = [];
const out = (line = '') => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};
const percent = (x: number) => `${(x * 100).toFixed(2)}%`;

out(`### Balance: primary keys per member over ${keyCount.toLocaleString('en')} keys (max/mean / min/mean)`);
out();
out(`| members | ${VNODES.map((v) => `${v} vnodes`).join(' | ')} |`);
out(`|---:|${VNODES.map(() => '---').join('|')}|`);
for (const n of SIZES) {
  progress(`balance over keys: ${n} members`);
  const cells = VNODES.map((v) => {
    const { max, min } = sampledBalance(buildRing(names(n), { vnodes: v }));
    return `${max.toFixed(3)} / ${min.toFixed(3)}`;
  });
  out(`| ${n} | ${cells.join(' | ')} |`);
}

out();
out(`### Balance for any names: max/mean of the exact share, ${CLUSTERS.length} clusters (median / worst)`);
out();
out(`| members | ${VNODES.map((v) => `${v} vnodes`).join(' | ')} |`);
out(`|---:|${VNODES.map(() => '---').join('|')}|`);
for (const n of SIZES) {
  progress(`exact shares: ${n} members x ${CLUSTERS.length} clusters`);
  const cells = VNODES.map((v) => {
    const maxima = CLUSTERS.map((c) => exactMaxOverMean(buildRing(names(n, c), { vnodes: v }))).sort(
      (a, b) => a - b,
    );
    return `${maxima[maxima.length >> 1].toFixed(3)} / ${maxima[maxima.length - 1].toFixed(3)}`;
  });
  out(`| ${n} | ${cells.join(' | ')} |`);
}

out();
out(`### Movement with ${DEFAULT_VNODES} vnodes: keys whose owners change (measured, ideal)`);
out();
out('| members | one joins: primary | 1/(n+1) | RF 2 | 2/(n+1) | one leaves: primary | 1/n | RF 2 | 2/n |');
out('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const n of SIZES) {
  progress(`movement: ${n} members`);
  // StatefulSets add and remove the highest ordinal.
  const ring = buildRing(names(n));
  const joined = buildRing(names(n + 1));
  const left = buildRing(names(n - 1));
  const cells = [
    moved(ring, joined, 1),
    1 / (n + 1),
    moved(ring, joined, 2),
    2 / (n + 1),
    moved(ring, left, 1),
    1 / n,
    moved(ring, left, 2),
    Math.min(1, 2 / n),
  ].map(percent);
  out(`| ${n} | ${cells.join(' | ')} |`);
}

out();
out(`### Cost of one ring (${DEFAULT_VNODES} vnodes)`);
out();
out('| members | tokens | memory | build |');
out('|---:|---:|---:|---:|');
for (const n of [...SIZES, 128, 256]) {
  progress(`cost: ${n} members`);
  let ring = buildRing(names(n));
  const started = performance.now();
  for (let i = 0; i < 3; i++) ring = buildRing(names(n));
  const ms = (performance.now() - started) / 3;
  const bytes = ring.tokens.byteLength + ring.owners.byteLength + ring.buckets.byteLength;
  out(`| ${n} | ${ring.tokens.length} | ${(bytes / 1024).toFixed(0)} KiB | ${ms.toFixed(1)} ms |`);
}

progress('lookups');
const documentOf = (states: Array<'joining' | 'active' | 'leaving'>) => ({
  epoch: 1,
  replicationFactor: 2,
  members: states.map((state, i) => ({ id: `demo-${i}`, address: `demo-${i}:8080`, state })),
});
const settled = buildRing(documentOf(Array.from({ length: 64 }, () => 'active')));
// Scaling 64 -> 64 members by replacing one: demo-63 leaving, demo-64 joining.
const changing = buildRing(
  documentOf(Array.from({ length: 65 }, (_, i) => (i === 63 ? 'leaving' : i === 64 ? 'joining' : 'active'))),
);
const keys = Array.from({ length: 1 << 20 }, (_, i) => `user:${i}:profile`);
const mask = keys.length - 1;
const map = new Map(keys.map((key, i) => [key, i & 63]));
const owners: string[] = [];
const ops = 2_000_000;
const rows: Array<[string, number]> = [
  [
    '`Map.get(key)` on a prebuilt key-to-member table, for comparison',
    rate(ops, (i) => map.get(keys[i & mask])!),
  ],
  ['`murmur3(key)` alone', rate(ops, (i) => murmur3(keys[i & mask]))],
  ['`primaryOf(ring, key)`', rate(ops, (i) => primaryOf(settled, keys[i & mask])!.length)],
  [
    '`ownersForWrite(ring, key, out)`, RF 2',
    rate(ops, (i) => ownersForWrite(settled, keys[i & mask], owners).length),
  ],
  [
    '`ownersForWrite(ring, key, out)`, RF 2, one member joining and one leaving',
    rate(ops, (i) => ownersForWrite(changing, keys[i & mask], owners).length),
  ],
];
out();
out(`### Lookups (64 members, ${DEFAULT_VNODES} vnodes, 1M distinct keys like \`user:123:profile\`)`);
out();
out('| operation | lookups/s |');
out('|---|---:|');
for (const [name, perSecond] of rows) out(`| ${name} | ${perSecond.toFixed(2)}M |`);

const text = `${lines.join('\n')}\n`;
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ring.md', text);
const page = readFileSync('docs/ring.md', 'utf8');
const begin = '<!-- figures:begin -->';
const end = '<!-- figures:end -->';
const from = page.indexOf(begin);
const to = page.indexOf(end);
if (from >= 0 && to > from) {
  writeFileSync('docs/ring.md', `${page.slice(0, from + begin.length)}\n${text}${page.slice(to)}`);
}
progress('wrote bench/results/ring.md and the figures of docs/ring.md');
