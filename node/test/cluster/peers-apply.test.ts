/**
 * Peers.apply speaks binary entries, and falls back to JSON-headed ones for a peer of an older
 * version (a rolling upgrade), which refuses the unknown Content-Type as those versions did.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Peers, checksumOf, HEADER_CHECKSUM, HEADER_CRC32 } from '../../src/cluster/peers.js';
import { crc32 } from '../../src/cluster/checksum.js';
import { decodeEntries, ENTRIES_CONTENT_TYPE } from '../../src/cluster/entry-frames.js';
import { decodeStreamEntries, ENTRIES_BINARY_CONTENT_TYPE } from '../../src/cluster/stream-entries.js';
import type { ReplicaEntry } from '../../src/cluster/replica.js';

interface Received {
  contentType: string;
  keys: string[];
}

let server: Server | undefined;
let peers: Peers | undefined;
afterEach(async () => {
  peers?.close();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

const entries: ReplicaEntry[] = [
  {
    key: 'a',
    version: 5 * 1024,
    expiresAt: 0,
    contentType: 'text/plain',
    value: Buffer.from('x'),
    tombstone: false,
  },
  {
    key: 'b',
    version: 6 * 1024,
    expiresAt: 0,
    contentType: 'text/plain',
    value: Buffer.from('y'),
    tombstone: true,
  },
];

const readAll = async (req: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

/** A peer on loopback that takes `accepted` content types, checking each one's checksum. */
async function peer(accepted: string[], received: Received[]): Promise<string> {
  server = createServer((req, res) => {
    void readAll(req).then((body) => {
      const contentType = String(req.headers['content-type']);
      if (!accepted.includes(contentType)) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 'INVALID_HEADER', message: `Content-Type must be ${accepted[0]}` },
          }),
        );
        return;
      }
      const binary = contentType === ENTRIES_BINARY_CONTENT_TYPE;
      const intact = binary
        ? req.headers[HEADER_CRC32] === String(crc32(body))
        : req.headers[HEADER_CHECKSUM] === checksumOf(body);
      const decoded = binary ? decodeStreamEntries(body, 10) : decodeEntries(body, 10);
      received.push({ contentType, keys: decoded.map((e) => `${e.key}:${e.tombstone}`) });
      res.writeHead(intact ? 200 : 400, { 'content-type': 'application/json' });
      res.end(`{"applied":${decoded.length}}`);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const newPeers = () =>
  new Peers({ id: 'tester', address: '127.0.0.1:1', epoch: () => 1 }, () => undefined, 5_000);

test('entries go binary, with a CRC-32, to a peer of this version', async () => {
  const received: Received[] = [];
  const address = await peer([ENTRIES_BINARY_CONTENT_TYPE, ENTRIES_CONTENT_TYPE], received);
  peers = newPeers();
  await peers.apply(address, entries);
  expect(received).toEqual([{ contentType: ENTRIES_BINARY_CONTENT_TYPE, keys: ['a:false', 'b:true'] }]);
});

test('a peer that knows only JSON-headed entries gets them, and keeps getting them without a second try', async () => {
  const received: Received[] = [];
  const address = await peer([ENTRIES_CONTENT_TYPE], received);
  peers = newPeers();
  await peers.apply(address, entries);
  await peers.apply(address, entries.slice(0, 1));
  expect(received).toEqual([
    { contentType: ENTRIES_CONTENT_TYPE, keys: ['a:false', 'b:true'] },
    { contentType: ENTRIES_CONTENT_TYPE, keys: ['a:false'] },
  ]);
});

test('a peer that refuses both encodings fails the apply with its status', async () => {
  const received: Received[] = [];
  const address = await peer(['application/x-nothing-we-send'], received);
  peers = newPeers();
  await expect(peers.apply(address, entries)).rejects.toThrow(`${address}: apply answered 400`);
  expect(received).toEqual([]);
});
