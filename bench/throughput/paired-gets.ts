/**
 * Gets of our store and of lru-cache 11 timed side by side in one process: both hold the same
 * 1M keys (100-byte values) and take the same key sequence in chunks of 50,000 gets, turn
 * about, so a slow spell of this shared machine falls on both alike. Separate processes run
 * one after the other, as the main table does, and their rates moved by up to 30% from run to
 * run here. Whichever cache is built second measured faster in a run of one against itself
 * (by 3-5%), so the bench runs both orders and takes the geometric mean.
 *
 * Usage: node paired-gets.js <lru|wtinylfu> <zipfian|uniform> <ours-first|lru-cache-first>;
 * prints one JSON line: ns per get for each, summed over ROUNDS passes of 2M gets, and each
 * pass's get ratio (lru-cache's time over ours).
 */
import { KEYS, makeCache, type Cache } from './implementations.js';
import { keySequence, type Distribution } from './workload.js';

const OPS = 2_000_000;
const CHUNK = 50_000;
const ROUNDS = 4;

type Get = (key: string) => unknown;

/** The cache's get, once it holds every key (100-byte values). */
function filled(cache: Cache, names: string[]): Get {
  for (const name of names) cache.set(name, Buffer.alloc(100, 7));
  return cache.get;
}

function timeChunk(get: Get, names: string[], sequence: Int32Array, from: number): number {
  let found = 0;
  const started = process.hrtime.bigint();
  for (let i = from; i < from + CHUNK; i++) if (get(names[sequence[i]]) !== undefined) found++;
  const elapsed = Number(process.hrtime.bigint() - started);
  if (found !== CHUNK) throw new Error(`${CHUNK - found} gets missed; every key must be held`);
  return elapsed;
}

function main(): void {
  const [policy, distribution, order] = process.argv.slice(2);
  if (policy !== 'lru' && policy !== 'wtinylfu') throw new Error(`unknown policy ${policy}`);
  const names = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
  const sequence = keySequence(distribution as Distribution, KEYS, OPS);
  let mine: Get;
  let theirs: Get;
  if (order === 'ours-first') {
    mine = filled(makeCache(`ringcache-${policy}`), names);
    theirs = filled(makeCache('lru-cache'), names);
  } else {
    theirs = filled(makeCache('lru-cache'), names);
    mine = filled(makeCache(`ringcache-${policy}`), names);
  }
  let oursNs = 0;
  let lruCacheNs = 0;
  // Each pass's ratio (lru-cache's time over ours), so the table can show how far they spread.
  const passRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let oursPass = 0;
    let lruCachePass = 0;
    for (let from = 0; from < OPS; from += CHUNK) {
      // Who goes first in a chunk alternates too: the second meets the keys' lines warmer.
      if ((from / CHUNK) % 2 === 0) {
        oursPass += timeChunk(mine, names, sequence, from);
        lruCachePass += timeChunk(theirs, names, sequence, from);
      } else {
        lruCachePass += timeChunk(theirs, names, sequence, from);
        oursPass += timeChunk(mine, names, sequence, from);
      }
    }
    passRatios.push(lruCachePass / oursPass);
    oursNs += oursPass;
    lruCacheNs += lruCachePass;
  }
  const gets = ROUNDS * OPS;
  console.log(
    JSON.stringify({
      policy,
      distribution,
      order,
      ours: oursNs / gets,
      lruCache: lruCacheNs / gets,
      passRatios,
    }),
  );
}

main();
