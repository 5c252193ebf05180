/**
 * A trace reads the same under another name or packing: compression is told by magic number,
 * the layout by name or first lines, and `--format` settles a binary file with a plain name.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compressionOf, formatOf, textFormatOf } from '../../../bench/traces/detect.js';
import { findTrace, tracePath } from '../../../bench/traces/location.js';
import { readTrace, type Trace } from '../../../bench/traces/read.js';

const bytes = (...b: number[]) => Uint8Array.from(b);
const text = (s: string) => new TextEncoder().encode(s);

describe('compressionOf', () => {
  it.each([
    ['gzip', bytes(0x1f, 0x8b, 8, 0)],
    ['zstd', bytes(0x28, 0xb5, 0x2f, 0xfd, 0)],
    ['xz', bytes(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0)],
    ['none', text('1 2 0 0\n')],
    ['none', bytes()],
  ])('%s', (expected, head) => {
    expect(compressionOf(head)).toBe(expected);
  });
});

describe('formatOf', () => {
  it('takes the layout from the name where SOURCES.md fixes it, whatever the compression', () => {
    expect(formatOf('DS1.lis.gz', text('garbage'))).toBe('arc');
    expect(formatOf('S3.lis', text('1 2 0 0\n'))).toBe('arc');
    expect(formatOf('w106.oracleGeneral.bin.zst', bytes(1, 2, 3))).toBe('oracle');
    expect(formatOf('scarab-recs.trace.xz', bytes(0, 0, 0, 1))).toBe('int64be');
    expect(formatOf('w106.trace.xz', bytes(0, 0, 0, 1))).toBe('uint32be');
    expect(formatOf('orm-busy.trace.xz', bytes(0, 0, 0, 1))).toBe('int32be');
  });

  it('recognises a text trace from its first lines under any name', () => {
    expect(formatOf('keys.txt', text('12\n*\n13\n12\n'))).toBe('lirs');
    expect(formatOf('mem.log', text('s 0x1fffff58 1\nl 0x1fffff60 1\n'))).toBe('address');
    expect(formatOf('blocks', text('1936993 8 0 0\n793041 16 0 1\n'))).toBe('arc');
    expect(formatOf('cdn.txt', text('1 0 68\n2 1 7454\n'))).toBe('adaptsize');
  });

  it('ignores a last line cut short by the sniffed prefix', () => {
    expect(textFormatOf('5\n6\n7 8')).toBe('lirs');
  });

  it('refuses a binary file whose name does not say its layout, naming the formats', () => {
    expect(() => formatOf('dump.bin', bytes(0, 0, 0, 1, 0xff))).toThrow(
      'dump.bin is binary and its name does not say how its keys are laid out; pass --format ' +
        '(arc, lirs, address, adaptsize, oracle, int32be, uint32be, int64be)',
    );
  });

  it('refuses text it cannot place', () => {
    expect(() => formatOf('notes.md', text('# a title\nsome words\n'))).toThrow(
      'cannot tell the format of notes.md from its first lines; pass --format',
    );
  });
});

describe('a trace repacked under another name', () => {
  let dir: string;
  const saved = process.env.RINGCACHE_TRACES;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ringcache-traces-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.RINGCACHE_TRACES;
    else process.env.RINGCACHE_TRACES = saved;
  });

  const same = (a: Trace, b: Trace) => {
    expect(b.keys.length).toBe(a.keys.length);
    expect(Buffer.from(b.keys.buffer).equals(Buffer.from(a.keys.buffer))).toBe(true);
    if (a.sizes) expect(Buffer.from(b.sizes!.buffer).equals(Buffer.from(a.sizes.buffer))).toBe(true);
  };
  const decompressed = (tool: string, file: string) =>
    execFileSync(tool, ['-dc', tracePath(file)], { maxBuffer: 1 << 30 });

  it('ARC: OLTP as a plain .lis and as gzip (.lis.gz, as BitFaster ships DS1 and S3)', () => {
    const original = readTrace(tracePath('OLTP.lis.zst'));
    const plain = decompressed('zstd', 'OLTP.lis.zst');
    writeFileSync(join(dir, 'OLTP.lis'), plain);
    writeFileSync(join(dir, 'OLTP-copy.lis.gz'), gzipSync(plain));
    same(original, readTrace(join(dir, 'OLTP.lis')));
    same(original, readTrace(join(dir, 'OLTP-copy.lis.gz')));
  });

  it('a text trace with a name that says nothing (AdaptSize request as cdn.txt)', () => {
    const original = readTrace(tracePath('request.trace.xz'));
    writeFileSync(join(dir, 'cdn.txt'), decompressed('xz', 'request.trace.xz'));
    same(original, readTrace(join(dir, 'cdn.txt')));
  });

  it('the weighted oracleGeneral trace zstd-compressed, sizes included', () => {
    const original = readTrace(tracePath('cloudPhysicsIO.oracleGeneral.bin'));
    execFileSync('zstd', [
      '-q',
      '-f',
      tracePath('cloudPhysicsIO.oracleGeneral.bin'),
      '-o',
      join(dir, 'cp.oracleGeneral.bin.zst'),
    ]);
    const copy = readTrace(join(dir, 'cp.oracleGeneral.bin.zst'));
    expect(copy.sizes).toBeDefined();
    same(original, copy);
  });

  it('a binary trace under a plain name, with its format given', () => {
    const original = readTrace(tracePath('web07.trace.xz'));
    writeFileSync(join(dir, 'web07.bin'), decompressed('xz', 'web07.trace.xz'));
    expect(() => readTrace(join(dir, 'web07.bin'))).toThrow('pass --format');
    same(original, readTrace(join(dir, 'web07.bin'), 'int32be'));
  });

  it('tracePath finds a trace saved under another compression than the one asked for', () => {
    process.env.RINGCACHE_TRACES = dir;
    writeFileSync(join(dir, 'DS1.lis.gz'), gzipSync('7 2 0 0\n'));
    expect(tracePath('DS1.lis.zst')).toBe(join(dir, 'DS1.lis.gz'));
    expect(Array.from(readTrace(tracePath('DS1.lis.zst')).keys)).toEqual([7, 8]);
    expect(findTrace('S3.lis.zst')).toBeUndefined();
    expect(() => tracePath('S3.lis.zst')).toThrow(`trace not found: ${join(dir, 'S3.lis.zst')}`);
  });
});
