/**
 * Reads a cache trace into an array of numeric keys (and object sizes for a weighted trace),
 * following the parsing rules of shared/traces/SOURCES.md. Compression (gzip, zstd, xz or none)
 * is told by the file's magic number and the layout by its name or first lines (detect.ts), so
 * the traces of SOURCES.md read under other names or packings too (`DS1.lis.gz`, a plain `.lis`,
 * `w106.oracleGeneral.bin.zst`).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { compressionOf, formatOf, stemOf, type Compression, type TraceFormat } from './detect.js';
import { parseOracleGeneral } from './oracle-general.js';

export interface Trace {
  name: string;
  keys: Float64Array;
  /** Object sizes in bytes, for a weighted trace; absent when every entry weighs 1. */
  sizes?: Uint32Array;
}

/** Bytes of decompressed content that decide a text trace's format. */
const SNIFF_BYTES = 64 * 1024;

/** Reads the trace at `path`; `format` overrides what its name and content say. */
export function readTrace(path: string, format?: TraceFormat): Trace {
  const file = basename(path);
  const name = stemOf(file).replace(/\.(lis|trace|oracleGeneral\.bin|oracleGeneral)$/, '');
  const content = decompress(compressionOf(firstBytes(path, 8)), path);
  const layout = format ?? formatOf(file, content.subarray(0, SNIFF_BYTES));
  return { name, ...parse(layout, content, file) };
}

function parse(format: TraceFormat, content: Buffer, file: string): Omit<Trace, 'name'> {
  switch (format) {
    case 'arc':
      return { keys: parseArc(content) };
    case 'lirs':
      return { keys: parseLines(content, (line) => (line === '*' ? NaN : Number(line))) };
    case 'address':
      return { keys: parseLines(content, (line) => parseInt(line.split(/\s+/)[1], 16)) };
    case 'adaptsize':
      return { keys: parseAdaptSize(content) };
    case 'int32be':
      return { keys: bigEndian(content, 4, (b, o) => b.readInt32BE(o)) };
    case 'uint32be':
      return { keys: bigEndian(content, 4, (b, o) => b.readUInt32BE(o)) };
    case 'int64be':
      // Fold the high word so distinct keys stay distinct numbers below 2^53.
      return { keys: bigEndian(content, 8, (b, o) => b.readInt32BE(o) * 2 ** 32 + b.readUInt32BE(o + 4)) };
    case 'oracle': {
      const { ids, sizes } = parseOracleGeneral(content, file);
      return { keys: ids, sizes };
    }
  }
}

function firstBytes(path: string, count: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(count);
    return head.subarray(0, readSync(fd, head, 0, count, 0));
  } finally {
    closeSync(fd);
  }
}

function decompress(compression: Compression, path: string): Buffer {
  if (compression === 'none') return readFileSync(path);
  if (compression === 'gzip') return gunzipSync(readFileSync(path));
  const tool = compression;
  try {
    return execFileSync(tool, ['-dc', path], { maxBuffer: 2 ** 31 - 1 });
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
    const fields = line.split(/\s+/);
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
    const [, id, size] = line.split(/\s+/);
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

/** Non-empty trimmed lines; decoded one at a time, so a trace larger than a string can hold reads too. */
function* lines(text: Buffer): Generator<string> {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf(0x0a, start);
    if (end === -1) end = text.length;
    const line = text.toString('latin1', start, end).trim();
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
