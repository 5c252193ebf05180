/**
 * Reads any trace of ../shared/traces into an array of numeric keys (and object sizes for
 * the weighted format), following the parsing rules of shared/traces/SOURCES.md.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readOracleGeneral } from './oracle-general.js';

export interface Trace {
  name: string;
  keys: Float64Array;
  /** Object sizes in bytes, for a weighted trace; absent when every entry weighs 1. */
  sizes?: Uint32Array;
}

export type TraceFormat =
  'arc' | 'lirs' | 'cache2k' | 'scarab' | 'cloudphysics' | 'address' | 'adaptsize' | 'oracle';

export function formatOf(path: string): TraceFormat {
  const file = basename(path);
  if (file.endsWith('.lis.zst')) return 'arc';
  if (file.endsWith('.oracleGeneral.bin')) return 'oracle';
  if (file === 'gzip.trace.gz') return 'address';
  if (file.endsWith('.trace.gz')) return 'lirs';
  if (file === 'scarab-recs.trace.xz') return 'scarab';
  if (file === 'w106.trace.xz') return 'cloudphysics';
  if (file === 'request.trace.xz') return 'adaptsize';
  if (file.endsWith('.trace.xz')) return 'cache2k';
  throw new Error(`unknown trace format for ${file} (see shared/traces/SOURCES.md)`);
}

export function readTrace(path: string): Trace {
  const name = basename(path).replace(/\.(lis\.zst|trace\.gz|trace\.xz|oracleGeneral\.bin)$/, '');
  switch (formatOf(path)) {
    case 'arc':
      return { name, keys: parseArc(decompress('zstd', path)) };
    case 'lirs':
      return {
        name,
        keys: parseLines(gunzipSync(readFileSync(path)), (line) => (line === '*' ? NaN : Number(line))),
      };
    case 'address':
      return {
        name,
        keys: parseLines(gunzipSync(readFileSync(path)), (line) => parseInt(line.split(' ')[1], 16)),
      };
    case 'cache2k':
      return { name, keys: bigEndian(decompress('xz', path), 4, (b, o) => b.readInt32BE(o)) };
    case 'cloudphysics':
      return { name, keys: bigEndian(decompress('xz', path), 4, (b, o) => b.readUInt32BE(o)) };
    case 'scarab':
      // int64 keys: fold the high word so distinct keys stay distinct numbers below 2^53.
      return {
        name,
        keys: bigEndian(
          decompress('xz', path),
          8,
          (b, o) => b.readInt32BE(o) * 2 ** 32 + b.readUInt32BE(o + 4),
        ),
      };
    case 'adaptsize':
      return { name, keys: parseAdaptSize(decompress('xz', path)) };
    case 'oracle': {
      const { ids, sizes } = readOracleGeneral(path);
      return { name, keys: ids, sizes };
    }
  }
}

function decompress(tool: 'zstd' | 'xz', path: string): Buffer {
  try {
    return execFileSync(tool, ['-dc', path], { maxBuffer: 1 << 30 });
  } catch (err) {
    throw new Error(
      `could not decompress ${path} with ${tool} (apt-get install -y zstd xz-utils): ${String(err)}`,
    );
  }
}

/** ARC traces: "start count ignore requestNo" expands into count requests start..start+count-1. */
function parseArc(text: Buffer): Float64Array {
  const out = new Growable();
  for (const line of lines(text)) {
    const fields = line.split(' ');
    const start = Number(fields[0]);
    const count = Number(fields[1]);
    for (let i = 0; i < count; i++) out.push(start + i);
  }
  return out.done();
}

/** One key per line; skips empty lines and lines the parser maps to NaN. */
function parseLines(text: Buffer, parse: (line: string) => number): Float64Array {
  const out = new Growable();
  for (const line of lines(text)) {
    const key = parse(line);
    if (!Number.isNaN(key)) out.push(key);
  }
  return out.done();
}

/** AdaptSize "time id size": a size change is a new object, so the key is (id, size). */
function parseAdaptSize(text: Buffer): Float64Array {
  const ids = new Map<string, number>();
  const out = new Growable();
  for (const line of lines(text)) {
    const [, id, size] = line.split(' ');
    const pair = `${id}/${size}`;
    let key = ids.get(pair);
    if (key === undefined) ids.set(pair, (key = ids.size));
    out.push(key);
  }
  return out.done();
}

function bigEndian(buf: Buffer, width: number, read: (b: Buffer, o: number) => number): Float64Array {
  const n = Math.floor(buf.length / width);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = read(buf, i * width);
  return keys;
}

function* lines(text: Buffer): Generator<string> {
  const s = text.toString('latin1');
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf('\n', start);
    if (end === -1) end = s.length;
    const line = s.slice(start, end).trim();
    if (line.length > 0) yield line;
    start = end + 1;
  }
}

class Growable {
  private a = new Float64Array(1 << 16);
  private n = 0;
  push(x: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = x;
  }
  done(): Float64Array {
    return this.a.slice(0, this.n);
  }
}
