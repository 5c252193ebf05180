/**
 * A bounded fuzz run against a real node: thousands of malformed requests over raw sockets
 * (bad methods, paths, encodings, headers, lengths, bodies, and bytes that are not HTTP at
 * all). The node must never answer 5xx, must stay up, and the data stored before must read
 * back unchanged, byte for byte and ETag for ETag.
 */
import { seededRandom } from '../../../bench/simulate.js';
import { killAllNodes, startNodeProcess } from '../../../test/support/node-process.js';
import { rawRequest } from '../../../test/support/raw-http.js';

afterAll(killAllNodes);

const REQUESTS = 3000;
const CONCURRENCY = 16;
const KEPT = 50;

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const bytes = (random: Random, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

const METHODS = [
  'GET',
  'PUT',
  'DELETE',
  'HEAD',
  'POST',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'G ET',
  'get',
  'PUT\t',
  '',
];
const PATHS = [
  () => '/v1/keys/fuzz-a',
  () => '/v1/keys/',
  () => '/v1/keys/%',
  () => '/v1/keys/%zz%',
  () => '/v1/keys/%C3%28',
  () => '/v1/keys/%ED%A0%80',
  () => '/v1/keys/a/b/c',
  () => `/v1/keys/${'x'.repeat(300)}`,
  () => `/v1/keys/${'%41'.repeat(260)}`,
  () => '/v1/keys/fuzz?x=%zz',
  () => '/v1/batch/get',
  () => '/v1/batch/set',
  () => '/v1/status',
  () => '/../../etc/passwd',
  () => '/metrics?%',
  () => '*',
  () => 'http://other.example/v1/keys/x',
  () => `/${'a'.repeat(20000)}`,
];
const HEADERS = [
  'X-TTL-Ms: -1',
  'X-TTL-Ms: 1e9',
  'X-TTL-Ms: 99999999999999999999',
  'X-TTL-Ms: ',
  'If-Match: garbage',
  'If-Match: "1", ',
  'If-None-Match: W/',
  'If-None-Match: *, "1"',
  'X-Consistency: everyone',
  'Content-Length: -5',
  'Content-Length: abc',
  'Content-Length: 99999999999',
  'Content-Length: 5\r\nContent-Length: 6',
  'Transfer-Encoding: gzip',
  'Transfer-Encoding: chunked',
  'Content-Type: application/vnd.ringcache.batch',
  'Authorization: Bearer nope',
  'Expect: 100-continue',
  'Connection: upgrade\r\nUpgrade: websocket',
  `X-Long: ${'b'.repeat(17000)}`,
  'Bad Header Without Colon',
  'X-Nul: a\u0000b',
];

function malformedRequest(random: Random): Buffer {
  const roll = random();
  if (roll < 0.1) return bytes(random, 1 + Math.floor(random() * 200)); // not HTTP at all
  const method = pick(random, METHODS);
  const path = pick(random, PATHS)();
  const version = random() < 0.9 ? 'HTTP/1.1' : pick(random, ['HTTP/2.0', 'HTTP/1.', 'HTTX/1.1', '']);
  const headers = ['Host: fuzz'];
  for (let i = Math.floor(random() * 4); i > 0; i--) headers.push(pick(random, HEADERS));
  const body = random() < 0.5 ? bytes(random, Math.floor(random() * 300)) : Buffer.alloc(0);
  if (random() < 0.5 && !headers.some((h) => h.startsWith('Content-Length') || h.startsWith('Transfer'))) {
    headers.push(`Content-Length: ${body.length + pick(random, [0, 0, 1, -1, 50])}`);
  }
  return Buffer.concat([
    Buffer.from(`${method} ${path} ${version}\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1'),
    body,
  ]);
}

test(`${REQUESTS} malformed requests: no crash, no 5xx, stored data unchanged`, async () => {
  const node = await startNodeProcess([
    '--max-memory',
    '2MiB',
    '--max-value-size',
    '64KiB',
    '--headers-timeout-ms',
    '2000',
    '--body-timeout-ms',
    '2000',
  ]);
  const kept = new Map<string, { body: Buffer; etag: string }>();
  for (let i = 0; i < KEPT; i++) {
    const body = Buffer.from(`kept value ${i} \u0000\u00ff`);
    const response = await fetch(`${node.url}/v1/keys/kept-${i}`, { method: 'PUT', body });
    kept.set(`kept-${i}`, { body, etag: response.headers.get('etag') as string });
  }

  const random = seededRandom(20261125);
  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      next++;
      const { response } = await rawRequest(node.port, malformedRequest(random), 10_000);
      const status = response?.status ?? 0;
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  const serverErrors = [...statuses].filter(([status]) => status >= 500);
  expect(serverErrors).toEqual([]);
  expect([...statuses.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
  expect(node.child.exitCode).toBeNull();
  expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  for (const [key, { body, etag }] of kept) {
    const response = await fetch(`${node.url}/v1/keys/${key}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(etag);
    expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
  }
  const status = (await (await fetch(`${node.url}/v1/status`)).json()) as {
    store: { bytes: number; maxMemory: number };
  };
  expect(status.store.bytes).toBeLessThanOrEqual(status.store.maxMemory);
  expect(node.logs.filter((l) => l.level === 'error')).toEqual([]);
});
