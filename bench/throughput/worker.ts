/**
 * One implementation, one distribution, in a process of its own (so heaps do not mix):
 * fill 1M keys with 100-byte values, measure resident bytes per entry, then time two passes of
 * gets (the first after the fill, then the steady state), ours once more through views, and
 * overwriting sets along the key sequence. Prints one JSON line.
 */
import { KEYS, makeCache } from './implementations.js';
import { keySequence, type Distribution, type Implementation } from './workload.js';

const OPS = 2_000_000;
const VALUE_BYTES = 100;

function gcAndRss(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().rss;
}

function main(): void {
  const impl = process.argv[2] as Implementation;
  const distribution = process.argv[3] as Distribution;
  const names = Array.from({ length: KEYS }, (_, i) => `key:${i}`);
  const sequence = keySequence(distribution, KEYS, OPS);
  const template = Buffer.alloc(VALUE_BYTES, 7);
  // Each set hands over a fresh buffer, as a server does with a request body.
  const fresh = () => Buffer.from(template);
  const baseline = gcAndRss();
  const cache = makeCache(impl);
  for (let i = 0; i < KEYS; i++) cache.set(names[i], fresh());
  const bytesPerEntry = (gcAndRss() - baseline) / KEYS;

  const timeGets = (get: (key: string) => unknown): number => {
    let found = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < OPS; i++) if (get(names[sequence[i]]) !== undefined) found++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (found !== OPS) throw new Error(`${impl}: ${OPS - found} gets missed; the cache must hold every key`);
    return seconds;
  };
  // The first pass after the fill is timed on its own: it warms the JIT, and in our W-TinyLFU
  // it is where each key's first re-read is promoted from probation to protected (a list move;
  // later hits there only mark the entry). The get figure is the second pass, the steady state.
  const firstPassSeconds = timeGets(cache.get);
  const getSeconds = timeGets(cache.get);
  const viewGetSeconds = cache.getView === undefined ? undefined : timeGets(cache.getView);

  const started = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) cache.set(names[sequence[i]], fresh());
  const setSeconds = Number(process.hrtime.bigint() - started) / 1e9;

  console.log(
    JSON.stringify({
      impl,
      distribution,
      getsPerSecond: OPS / getSeconds,
      firstPassGetsPerSecond: OPS / firstPassSeconds,
      viewGetsPerSecond: viewGetSeconds === undefined ? undefined : OPS / viewGetSeconds,
      setsPerSecond: OPS / setSeconds,
      bytesPerEntry,
    }),
  );
}

main();
