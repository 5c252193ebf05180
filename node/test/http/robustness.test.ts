/**
 * The node under hostile or unlucky conditions, on real processes and raw sockets: slow
 * clients, too many connections, racing compare-and-set writers, graceful shutdown with
 * requests in flight.
 */
import type { Socket } from 'node:net';
import { killAllNodes, startNodeProcess, waitFor } from '../../../test/support/node-process.js';
import { openSocket, rawRequest, readResponse } from '../../../test/support/raw-http.js';

afterAll(killAllNodes);

const sockets: Socket[] = [];
afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));
async function socketTo(port: number): Promise<Socket> {
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
}

describe('slow clients', () => {
  test('a client that never finishes its headers gets 408 and is disconnected', async () => {
    const node = await startNodeProcess(['--headers-timeout-ms', '300', '--body-timeout-ms', '600']);
    const socket = await socketTo(node.port);
    const reading = readResponse(socket);
    socket.write('GET /v1/keys/a HTTP/1.1\r\nHost: x\r\n');
    const { response, closed } = await reading;
    expect(response?.status).toBe(408);
    expect(JSON.parse(response?.body ?? '')).toEqual({
      error: { code: 'REQUEST_TIMEOUT', message: 'the request was not received in time' },
    });
    expect(closed).toBe(true);
  });

  test('a body that stalls gets 408, and nothing is stored', async () => {
    const node = await startNodeProcess(['--headers-timeout-ms', '300', '--body-timeout-ms', '600']);
    const socket = await socketTo(node.port);
    const reading = readResponse(socket);
    socket.write('PUT /v1/keys/stalled HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b');
    const { response, closed } = await reading;
    expect(response?.status).toBe(408);
    expect(closed).toBe(true);
    expect((await fetch(`${node.url}/v1/keys/stalled`)).status).toBe(404);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });

  test('oversize headers get 431 JSON', async () => {
    const node = await startNodeProcess();
    const { response } = await rawRequest(
      node.port,
      `GET /v1/keys/a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`,
    );
    expect(response?.status).toBe(431);
    expect(JSON.parse(response?.body ?? '').error.code).toBe('HEADERS_TOO_LARGE');
  });
});

test('Expect: 100-continue: a body that will be refused is not invited; one that will be stored is', async () => {
  const node = await startNodeProcess(['--max-value-size', '1000', '--token', 'a-token-of-16-chars-or-more']);
  const auth = 'Authorization: Bearer a-token-of-16-chars-or-more\r\n';
  const head = (key: string, length: number, extra = '') =>
    `PUT /v1/keys/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n${extra}\r\n`;
  const batch = (kind: string, length: number, extra = '') =>
    `POST /v1/batch/${kind} HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n${extra}\r\n`;
  // Refused ones: the final answer comes first, without the body ever being sent.
  for (const [request, status] of [
    [head('big', 1001, auth), 413],
    [head('nobody', 10), 401],
    [head('%ZZ', 10, auth), 400],
    [head('ttl', 10, `${auth}X-TTL-Ms: -1\r\n`), 400],
    [batch('set', 16 * 1024 * 1024 + 1, `${auth}Content-Type: application/vnd.ringcache.batch\r\n`), 413],
    [batch('get', 10), 401],
  ] as const) {
    const { response } = await rawRequest(node.port, request);
    expect([request.split(' ')[1], response?.status]).toEqual([request.split(' ')[1], status]);
  }
  // An accepted one: 100 Continue, then the body, then 201.
  const socket = await socketTo(node.port);
  const interim = readResponse(socket);
  socket.write(head('small', 5, auth));
  expect((await interim).response?.status).toBe(100);
  const final = readResponse(socket);
  socket.write('hello');
  expect((await final).response?.status).toBe(201);
  const read = await fetch(`${node.url}/v1/keys/small`, {
    headers: { authorization: 'Bearer a-token-of-16-chars-or-more' },
  });
  expect(await read.text()).toBe('hello');
});

test('connections over --max-connections get 503 and are closed; freed slots are reused', async () => {
  const node = await startNodeProcess(['--max-connections', '3']);
  const held = await Promise.all([1, 2, 3].map(() => socketTo(node.port)));
  // The server has seen all three once each answers a request.
  for (const socket of held) {
    const reading = readResponse(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await reading).response?.status).toBe(200);
  }
  const extra = await socketTo(node.port);
  const { response, closed } = await readResponse(extra);
  expect(response?.status).toBe(503);
  expect(JSON.parse(response?.body ?? '').error.code).toBe('TOO_MANY_CONNECTIONS');
  expect(closed).toBe(true);

  held[0].destroy();
  await waitFor('a freed connection slot', async () => {
    const { response: r } = await rawRequest(
      node.port,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    return r?.status === 200;
  });
});

test('what node would answer or drop itself gets a JSON error: HTTP/1.1 without Host, CONNECT', async () => {
  const node = await startNodeProcess();
  const hostless = await rawRequest(node.port, 'GET /v1/keys/a HTTP/1.1\r\n\r\n');
  expect(hostless.response?.status).toBe(400);
  expect(hostless.response?.headers['content-type']).toBe('application/json');
  expect(JSON.parse(hostless.response?.body ?? '')).toEqual({
    error: { code: 'BAD_REQUEST', message: 'an HTTP/1.1 request needs a Host header' },
  });
  const connect = await rawRequest(node.port, 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n');
  expect(connect.response?.status).toBe(405);
  expect(JSON.parse(connect.response?.body ?? '')).toEqual({
    error: { code: 'METHOD_NOT_ALLOWED', message: 'method CONNECT is not allowed: this node is not a proxy' },
  });
  // HTTP/1.0 needs no Host.
  expect((await rawRequest(node.port, 'GET /healthz HTTP/1.0\r\n\r\n')).response?.status).toBe(200);
});

test('compare-and-set races: of two writers holding the same ETag, exactly one wins', async () => {
  const node = await startNodeProcess();
  for (let round = 0; round < 20; round++) {
    const etag = (
      await fetch(`${node.url}/v1/keys/race`, { method: 'PUT', body: `base-${round}` })
    ).headers.get('etag');
    const [a, b] = await Promise.all([socketTo(node.port), socketTo(node.port)]);
    const replies = [readResponse(a), readResponse(b)];
    // Both heads go out before either body is complete, so usually both pass the early
    // precondition check; whichever order the node sees, one write must win and one fail.
    const head = (who: string) =>
      `PUT /v1/keys/race HTTP/1.1\r\nHost: x\r\nIf-Match: ${etag}\r\nContent-Length: ${who.length + 5}\r\n\r\nwrite`;
    a.write(head('A'));
    b.write(head('B'));
    b.write('B');
    a.write('A');
    const statuses = (await Promise.all(replies)).map((r) => r.response?.status);
    expect([...statuses].sort()).toEqual([204, 412]);
    const winner = statuses[0] === 204 ? 'writeA' : 'writeB';
    expect(await (await fetch(`${node.url}/v1/keys/race`)).text()).toBe(winner);
  }
});

describe('graceful shutdown', () => {
  test('SIGTERM: stops accepting, finishes the request in flight, exits 0', async () => {
    const node = await startNodeProcess(['--shutdown-timeout-ms', '10000']);
    const socket = await socketTo(node.port);
    const reply = readResponse(socket);
    socket.write('PUT /v1/keys/in-flight HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf-');
    await waitFor('the request to reach the node', () => socket.bytesWritten > 0);
    node.child.kill('SIGTERM');
    await waitFor('shutdown to begin', () => node.logs.some((l) => l.msg === 'shutting down'));
    await expect(fetch(`${node.url}/healthz`)).rejects.toThrow();
    socket.write('done!');
    const { response } = await reply;
    expect(response?.status).toBe(201);
    expect(response?.headers.connection).toBe('close');
    expect(await node.exited).toBe(0);
  });

  test('a request that never completes is cut at the shutdown bound, and the exit is still 0', async () => {
    const node = await startNodeProcess(['--shutdown-timeout-ms', '300', '--body-timeout-ms', '60000']);
    const socket = await socketTo(node.port);
    const reply = readResponse(socket, 20_000);
    socket.write('PUT /v1/keys/never HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhalf-');
    await waitFor('the request to reach the node', () => socket.bytesWritten > 0);
    node.child.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    expect((await reply).closed).toBe(true);
    expect(node.logs.some((l) => l.msg === 'shutdown deadline reached; closing remaining connections')).toBe(
      true,
    );
  });

  test('SIGINT works the same way', async () => {
    const node = await startNodeProcess();
    node.child.kill('SIGINT');
    expect(await node.exited).toBe(0);
  });
});
