/**
 * An Upgrade the node does not speak is ignored, as RFC 9110 7.8 lets a server do, and the
 * request is served as HTTP/1.1: `curl --http2` offers h2c on every cleartext request, and got
 * 404 ROUTE_NOT_FOUND on every route, /healthz included.
 */
import { killAllNodes, startNodeProcess, type NodeProcess } from '../../../test/support/node-process.js';
import { openSocket, rawRequest, readUntilClose } from '../../../test/support/raw-http.js';

let node: NodeProcess;
beforeAll(async () => {
  node = await startNodeProcess();
});
afterAll(killAllNodes);

/** The headers curl --http2 adds to a request on an http:// URL. */
const H2C = 'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n';

test('a request offering h2c is answered as HTTP/1.1', async () => {
  const health = await rawRequest(node.port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
  expect(health.response?.status).toBe(200);
  const put = await rawRequest(
    node.port,
    `PUT /v1/keys/h2c HTTP/1.1\r\nHost: x\r\n${H2C}Content-Length: 5\r\n\r\nhello`,
  );
  expect(put.response?.status).toBe(201);
  const get = await rawRequest(node.port, `GET /v1/keys/h2c HTTP/1.1\r\nHost: x\r\n${H2C}\r\n`);
  expect([get.response?.status, get.response?.body]).toEqual([200, 'hello']);
});

test('requests pipelined behind an ignored Upgrade are all answered, in order', async () => {
  const socket = await openSocket(node.port);
  const reading = readUntilClose(socket);
  socket.end(
    `PUT /v1/keys/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 2\r\n\r\nv1` +
      `GET /v1/keys/ws HTTP/1.1\r\nHost: x\r\n${H2C}\r\n` +
      'DELETE /v1/keys/ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  );
  const { responses } = await reading;
  expect(responses.map((r) => [r.status, r.body])).toEqual([
    [201, ''],
    [200, 'v1'],
    [204, ''],
  ]);
});
