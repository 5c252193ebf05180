/**
 * HTTP at the byte level, for requests no well-behaved client would send: raw bytes over a
 * TCP socket, and the first response read back (or the socket's close).
 */
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Parses the first complete response in `data`, or returns undefined if it is not all there.
 * A response to HEAD, and any 1xx, 204 or 304, has no body whatever its Content-Length says.
 */
export function parseResponse(data: Buffer, head = false): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const status = Number(statusLine.split(' ')[1]);
  const bodyless = head || status < 200 || status === 204 || status === 304;
  const length = bodyless ? 0 : Number(headers['content-length'] ?? 0);
  if (data.length < end + 4 + length) return undefined;
  return {
    status,
    headers,
    body: data.subarray(end + 4, end + 4 + length).toString('utf8'),
  };
}

export function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Resolves with the first response on `socket` (undefined if it closed without one) and
 * whether the server closed the connection. Rejects after `deadlineMs`.
 */
export function readResponse(
  socket: Socket,
  deadlineMs = 10_000,
  head = false,
): Promise<{ response?: RawResponse; closed: boolean }> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    let response: RawResponse | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within ${deadlineMs} ms`));
    }, deadlineMs);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      resolve({ response, closed });
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      response ??= parseResponse(data, head);
      // A response that says Connection: close is followed by the close; wait for it.
      if (response && response.headers.connection !== 'close') finish(false);
    };
    socket.on('data', onData);
    socket.once('close', () => finish(true));
    socket.once('error', () => undefined);
  });
}

/** Sends `bytes` on a fresh connection and reads the response. */
export async function rawRequest(port: number, request: string | Buffer, deadlineMs = 10_000) {
  const bytes = Buffer.from(request);
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  const head = bytes.subarray(0, 5).toString('latin1') === 'HEAD ';
  const result = readResponse(socket, deadlineMs, head);
  socket.write(bytes);
  const outcome = await result;
  socket.destroy();
  return outcome;
}
