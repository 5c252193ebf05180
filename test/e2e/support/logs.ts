/**
 * A container's logs so far, without following (testcontainers' logs() follows until the
 * container exits). Docker multiplexes stdout and stderr of a container without a TTY into
 * frames: 1 byte stream type, 3 zero bytes, a big-endian uint32 length, then the payload.
 */
import type { Container } from 'dockerode';

export async function containerLogs(container: Container): Promise<string> {
  const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demux(raw);
}

export function demux(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The JSON log lines of a ringcache node, parsed (other lines are skipped). */
export function logRecords(text: string): Array<Record<string, unknown>> {
  const records: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut short by a kill
    }
  }
  return records;
}
