/**
 * How a trace file is packed and laid out, decided from its name and its first bytes (pure
 * functions; read.ts does the I/O). The name decides where it can (the conventions of
 * shared/traces/SOURCES.md: `.lis` is ARC, `.oracleGeneral` is libCacheSim's binary); a text
 * trace with any other name is recognised from its first lines; a binary one needs its name or
 * an explicit format, since a run of bytes reads as int32 keys as well as int64 keys.
 */

export type Compression = 'gzip' | 'zstd' | 'xz' | 'none';

/** Key layouts a trace can have; `--format` takes these names. */
export const TRACE_FORMATS = [
  'arc', // text "start count ignore requestNo": count requests start..start+count-1
  'lirs', // text, one decimal key per line ("*" lines are checkpoints)
  'address', // text "<op> 0x<hexaddr> <n>": the key is the address
  'adaptsize', // text "time id size": the key is the (id, size) pair
  'oracle', // libCacheSim oracleGeneral: 24-byte little-endian records, weighted
  'int32be', // binary big-endian signed int32 keys (cache2k traces)
  'uint32be', // binary big-endian unsigned int32 keys (CloudPhysics w106 as Caffeine reads it)
  'int64be', // binary big-endian int64 keys (scarab-recs)
] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

const MAGIC: [Compression, number[]][] = [
  ['gzip', [0x1f, 0x8b]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
];

/** The compression of a file from its first bytes (its magic number), whatever its name. */
export function compressionOf(head: Uint8Array): Compression {
  for (const [compression, magic] of MAGIC) {
    if (magic.every((byte, i) => head[i] === byte)) return compression;
  }
  return 'none';
}

/** The file name without directories and without a compression suffix. */
export function stemOf(file: string): string {
  return (file.split('/').pop() ?? file).replace(/\.(gz|zst|xz)$/, '');
}

/** Binary traces known by name (SOURCES.md): their keys' width and sign are not in the bytes. */
const BINARY_BY_NAME: Record<string, TraceFormat> = {
  'scarab-recs.trace': 'int64be',
  'w106.trace': 'uint32be',
};

/**
 * The layout of a trace from its file name and the first bytes of its decompressed content.
 * Throws with what to do when neither tells.
 */
export function formatOf(file: string, head: Uint8Array): TraceFormat {
  const stem = stemOf(file);
  if (/\.lis$/.test(stem)) return 'arc';
  if (/\.oracleGeneral(\.bin)?$/.test(stem)) return 'oracle';
  if (stem in BINARY_BY_NAME) return BINARY_BY_NAME[stem];
  if (isText(head)) {
    const sniffed = textFormatOf(Buffer.from(head).toString('latin1'));
    if (sniffed !== undefined) return sniffed;
    throw new Error(
      `cannot tell the format of ${file} from its first lines; pass --format (${TRACE_FORMATS.join(', ')})`,
    );
  }
  // The cache2k convention: a binary `*.trace` is an array of big-endian int32 keys.
  if (/\.trace$/.test(stem)) return 'int32be';
  throw new Error(
    `${file} is binary and its name does not say how its keys are laid out; pass --format (${TRACE_FORMATS.join(', ')})`,
  );
}

/** Text is printable ASCII and whitespace; the head may end inside a line. */
function isText(head: Uint8Array): boolean {
  if (head.length === 0) return false;
  for (const byte of head) {
    if (byte === 0x09 || byte === 0x0a || byte === 0x0d) continue;
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

const INTEGER = /^-?\d+$/;

/** Recognises a text format from its first complete lines, or undefined. */
export function textFormatOf(text: string): TraceFormat | undefined {
  const lines = text
    .split('\n')
    .slice(0, -1) // the last piece may be cut short
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && line !== '*')
    .slice(0, 20);
  if (lines.length === 0) return undefined;
  const fields = lines.map((line) => line.split(/\s+/));
  const all = (test: (f: string[]) => boolean) => fields.every(test);
  if (all((f) => f.length === 1 && INTEGER.test(f[0]))) return 'lirs';
  if (all((f) => f.length >= 2 && /^0x[0-9a-f]+$/i.test(f[1]))) return 'address';
  if (all((f) => f.length === 4 && f.every((x) => INTEGER.test(x)))) return 'arc';
  if (all((f) => f.length === 3 && f.every((x) => INTEGER.test(x)))) return 'adaptsize';
  return undefined;
}
