/**
 * A client that half-closes its connection after its last request (FIN after the bytes, as
 * `nc -N` or shutdown(SHUT_WR) does) still gets every answer. A node with a ring answers key
 * requests asynchronously (forwarding, replication), after the FIN has arrived.
 */
import type { Socket } from 'node:net';
import { LocalCluster } from '../../node/src/local/local-cluster.js';
import { openSocket, readUntilClose } from '../support/raw-http.js';

let cluster: LocalCluster;
const sockets: Socket[] = [];
afterEach(async () => {
  sockets.splice(0).forEach((s) => s.destroy());
  await cluster?.stop();
});

test('requests followed by the client half-closing are all answered, in order', async () => {
  cluster = new LocalCluster({ replicationFactor: 2 });
  await cluster.start(2);
  const port = Number(new URL(cluster.url([...cluster.nodes.keys()][0])).port);
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  sockets.push(socket);
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
