/**
 * bench:ring — balance and movement of the ring. For 3 to 64 members and a few vnode counts:
 * max/mean and min/mean primary keys per member over 1M keys, the fraction of keys whose
 * primary moves when one member joins or leaves (against the ideal 1/(n+1) and 1/n), and
 * lookups per second. Writes bench/results/ring.md.
 *
 *   npm run bench:ring -- [--keys 1000000]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildRing, DEFAULT_VNODES, ownersOfHash, type Ring } from '../node/src/ring/ring.js';
import { murmur3 } from '../node/src/ring/hash.js';

const SIZES = [3, 5, 8, 16, 32, 64];
const VNODES = [64, 256, DEFAULT_VNODES, 1024];

const keyCount = Number(process.argv[process.argv.indexOf('--keys') + 1]) || 1_000_000;
const hashes = new Uint32Array(keyCount);
for (let i = 0; i < keyCount; i++) hashes[i] = murmur3(`key:${i}`);
const memberIds = (n: number) => Array.from({ length: n }, (_, i) => `ringcache-${i}`);

function primaries(ring: Ring): Int32Array {
  const index = new Map(ring.members.map((id, i) => [id, i]));
  const result = new Int32Array(keyCount);
  for (let i = 0; i < keyCount; i++) result[i] = index.get(ownersOfHash(ring, hashes[i], 1)[0]) as number;
  return result;
}

function balance(ring: Ring): { max: number; min: number } {
  const counts = new Float64Array(ring.members.length);
  for (const owner of primaries(ring)) counts[owner]++;
  const mean = keyCount / ring.members.length;
  return { max: Math.max(...counts) / mean, min: Math.min(...counts) / mean };
}

function moved(before: Ring, after: Ring): number {
  const a = primaries(before);
  const b = primaries(after);
  let n = 0;
  for (let i = 0; i < keyCount; i++) if (before.members[a[i]] !== after.members[b[i]]) n++;
  return n / keyCount;
}

const lines: string[] = [];
const out = (line = '') => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

out(`### Balance: primary keys per member over ${keyCount.toLocaleString('en')} keys (max/mean, min/mean)`);
out();
out(`| members | ${VNODES.map((v) => `${v} vnodes`).join(' | ')} |`);
out(`|---:|${VNODES.map(() => '---').join('|')}|`);
for (const n of SIZES) {
  process.stderr.write(`balance: ${n} members\n`);
  const cells = VNODES.map((v) => {
    const { max, min } = balance(buildRing(memberIds(n), v));
    return `${max.toFixed(3)} / ${min.toFixed(3)}`;
  });
  out(`| ${n} | ${cells.join(' | ')} |`);
}

out();
out(`### Movement with ${DEFAULT_VNODES} vnodes: fraction of keys whose primary changes`);
out();
out('| members | one joins | ideal 1/(n+1) | one leaves | ideal 1/n |');
out('|---:|---:|---:|---:|---:|');
for (const n of SIZES) {
  process.stderr.write(`movement: ${n} members\n`);
  const ring = buildRing(memberIds(n));
  const joined = moved(ring, buildRing(memberIds(n + 1)));
  const left = moved(ring, buildRing(memberIds(n).slice(1)));
  out(
    `| ${n} | ${(joined * 100).toFixed(2)}% | ${(100 / (n + 1)).toFixed(2)}% | ${(left * 100).toFixed(2)}% | ${(100 / n).toFixed(2)}% |`,
  );
}

const ring = buildRing(memberIds(64));
const started = performance.now();
const lookups = 2_000_000;
let sink = 0;
for (let i = 0; i < lookups; i++) sink += ownersOfHash(ring, murmur3(`key:${i}`), 2).length;
const seconds = (performance.now() - started) / 1000;
out();
out(
  `Lookups (murmur3 of the key + 2 owners, 64 members, ${DEFAULT_VNODES} vnodes): ${(lookups / seconds / 1e6).toFixed(2)}M/s` +
    (sink === 0 ? '' : ''),
);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ring.md', `${lines.join('\n')}\n`);
