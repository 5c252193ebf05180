/**
 * Pipelined requests on a real node process and raw sockets: they run in order, each after the
 * one before it is answered; and when bytes that are not HTTP follow them, every request parsed
 * before the error is answered, in order, then the error gets its 400 and the connection closes.
 */
import type { Socket } from 'node:net';
import { killAllNodes, startNodeProcess, type NodeProcess } from '../../../test/support/node-process.js';
import { openSocket, readUntilClose, type RawResponse } from '../../../test/support/raw-http.js';

let node: NodeProcess;
beforeAll(async () => {
  node = await startNodeProcess();
});
afterAll(killAllNodes);

const sockets: Socket[] = [];
afterEach(() => sockets.splice(0).forEach((s) => s.destroy()));

/**
 * Writes `bytes` in one write on a fresh connection (then half-closes it with `halfClose`: FIN
 * after the last request); resolves with all it gets until the close.
 */
async function pipeline(bytes: string, halfClose = false) {
  const socket = await openSocket(node.port);
  socket.on('error', () => undefined);
  sockets.push(socket);
  const reading = readUntilClose(socket);
  if (halfClose) socket.end(bytes);
  else socket.write(bytes);
  return reading;
}

const put = (key: string, value: string) =>
  `PUT /v1/keys/${key} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Buffer.byteLength(value)}\r\n\r\n${value}`;
const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
const GARBAGE = 'GARBAGE\r\n\r\n';

function expectBadRequest(response: RawResponse | undefined): void {
  expect(response?.status).toBe(400);
  expect(response?.headers['content-type']).toBe('application/json');
  expect(response?.headers.connection).toBe('close');
  expect(JSON.parse(response?.body ?? '')).toEqual({
    error: { code: 'BAD_REQUEST', message: expect.stringMatching(/^malformed HTTP request \(HPE_/) },
  });
}

test('a PUT whose body is followed by garbage gets its 201, then a 400, then the close', async () => {
  const { responses, rest } = await pipeline(put('piped', 'hello') + GARBAGE);
  expect(responses.map((r) => r.status)).toEqual([201, 400]);
  expect(responses[0].headers.etag).toBeDefined();
  expectBadRequest(responses[1]);
  expect(rest).toBe('');
  const read = await fetch(`${node.url}/v1/keys/piped`);
  expect(read.status).toBe(200);
  expect(await read.text()).toBe('hello');
});

test('a GET answered at once, then garbage: the answer, then a 400, then the close', async () => {
  const { responses, rest } = await pipeline(get('/v1/keys/absent') + GARBAGE);
  expect(responses.map((r) => r.status)).toEqual([404, 400]);
  expect(JSON.parse(responses[0].body).error.code).toBe('NOT_FOUND');
  expectBadRequest(responses[1]);
  expect(rest).toBe('');
});

test('two pipelined requests then garbage: both answered in order, then a 400, then the close', async () => {
  const { responses, rest } = await pipeline(put('pair-1', 'first') + put('pair-2', 'second') + GARBAGE);
  expect(responses.map((r) => r.status)).toEqual([201, 201, 400]);
  expectBadRequest(responses[2]);
  expect(rest).toBe('');
  expect(await (await fetch(`${node.url}/v1/keys/pair-1`)).text()).toBe('first');
  expect(await (await fetch(`${node.url}/v1/keys/pair-2`)).text()).toBe('second');

  // The same through the express app, whose answers are not written synchronously either.
  const second = await pipeline(get('/healthz') + get('/v1/status') + GARBAGE);
  expect(second.responses.map((r) => r.status)).toEqual([200, 200, 400]);
  expect(JSON.parse(second.responses[0].body)).toEqual({ status: 'ok' });
  expectBadRequest(second.responses[2]);
});

test('a request cut mid-body by a parse error is answered 400 and not applied; the one before it is', async () => {
  // A chunk size that is not hexadecimal: the error comes before the PUT ahead is answered.
  const cut = 'PUT /v1/keys/cut HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n';
  const { responses, rest } = await pipeline(put('before-cut', 'kept') + cut);
  expect(responses.map((r) => r.status)).toEqual([201, 400]);
  expectBadRequest(responses[1]);
  expect(rest).toBe('');
  expect(await (await fetch(`${node.url}/v1/keys/before-cut`)).text()).toBe('kept');
  expect((await fetch(`${node.url}/v1/keys/cut`)).status).toBe(404);
});

test('pipelined requests run in order: a GET behind a PUT of the same key reads the PUT', async () => {
  const socket = await openSocket(node.port);
  socket.on('error', () => undefined);
  sockets.push(socket);
  const reading = readUntilClose(socket);
  const close = 'DELETE /v1/keys/ordered HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  socket.write(
    put('ordered', 'first') +
      get('/v1/keys/ordered') +
      put('ordered', 'second') +
      get('/v1/keys/ordered') +
      close,
  );
  const answers = (await reading).responses;
  expect(answers.map((r) => r.status)).toEqual([201, 200, 204, 200, 204]);
  expect(answers[1].body).toBe('first');
  expect(answers[3].body).toBe('second');
});

describe('request shapes a client may send', () => {
  test('an Expect other than 100-continue gets 417 with a JSON error', async () => {
    const { responses } = await pipeline(
      'PUT /v1/keys/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nExpect: foo\r\n\r\nx',
    );
    expect(responses[0].status).toBe(417);
    expect(JSON.parse(responses[0].body)).toEqual({
      error: { code: 'EXPECTATION_FAILED', message: 'Expect: "foo" is not supported; only 100-continue is' },
    });
  });

  test('a request target in absolute form reaches the same key as its path', async () => {
    const { responses } = await pipeline(
      put('abs%2Fform', 'absolute') + get(`http://127.0.0.1:${node.port}/v1/keys/abs%2Fform`),
      true,
    );
    expect(responses.map((r) => [r.status, r.body])).toEqual([
      [201, ''],
      [200, 'absolute'],
    ]);
  });
});
