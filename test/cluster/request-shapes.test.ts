/**
 * Request shapes on a cluster of real nodes, whose key requests are answered asynchronously
 * (forwarding, replication):
 * - a client that half-closes its connection after its last request (FIN after the bytes, as
 *   `nc -N` or shutdown(SHUT_WR) does) still gets every answer;
 * - where a node decides a write itself (the key's primary), a precondition that already fails
 *   is answered before the body is sent, as on a node serving alone, so a compare-and-set that
 *   cannot succeed does not upload its value.
 */
import type { Socket } from 'node:net';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { buildRing, ownersForWrite } from '../../node/src/ring/index.js';
import { openSocket, readResponse, readUntilClose } from '../support/raw-http.js';

let cluster: LocalCluster;
const sockets: Socket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await cluster?.stop();
});

async function socketTo(port: number): Promise<Socket> {
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
}

test('requests followed by the client half-closing are all answered, in order', async () => {
  cluster = new LocalCluster({ replicationFactor: 2 });
  await cluster.start(2);
  const port = Number(new URL(cluster.url([...cluster.nodes.keys()][0])).port);
  const socket = await socketTo(port);
  const reading = readUntilClose(socket);
  socket.end(
    'PUT /v1/keys/half-closed HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nv1' +
      'GET /v1/keys/half-closed HTTP/1.1\r\nHost: x\r\n\r\n' +
      'GET /v1/keys/never-written HTTP/1.1\r\nHost: x\r\n\r\n',
  );
  const { responses } = await reading;
  expect(responses.map((r) => [r.status, r.body])).toEqual([
    [201, ''],
    [200, 'v1'],
    [404, expect.stringContaining('NOT_FOUND')],
  ]);
});

test('a failing If-Match at the primary is answered 412 before the body, with or without Expect: 100-continue', async () => {
  cluster = new LocalCluster({ replicationFactor: 2 });
  await cluster.start(3);
  const key = 'cas-early';
  const [primary] = ownersForWrite(buildRing(cluster.ring), key);
  const url = cluster.url(primary);
  expect((await fetch(`${url}/v1/keys/${key}`, { method: 'PUT', body: 'v1' })).status).toBe(201);
  const port = Number(new URL(url).port);

  for (const expect100 of [false, true]) {
    const socket = await socketTo(port);
    const reading = readResponse(socket, 10_000);
    // Headers only: a body of 1 MB is announced and never sent.
    socket.write(
      `PUT /v1/keys/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\nIf-Match: "1"\r\n` +
        (expect100 ? 'Expect: 100-continue\r\n' : '') +
        '\r\n',
    );
    const { response } = await reading;
    expect([expect100, response?.status]).toEqual([expect100, 412]);
    expect(JSON.parse(response?.body ?? '{}').error.code).toBe('PRECONDITION_FAILED');
  }
  expect(await (await fetch(`${url}/v1/keys/${key}`)).text()).toBe('v1');
});
