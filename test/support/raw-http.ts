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
  return parseAt(data, 0, head)?.response;
}

/** The response starting at `offset` of `data` and the offset just past it, if it is all there. */
function parseAt(
  data: Buffer,
  offset: number,
  head: boolean,
): { response: RawResponse; next: number } | undefined {
  const end = data.indexOf('\r\n\r\n', offset);
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(offset, end).toString('latin1').split('\r\n');
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
    response: { status, headers, body: data.subarray(end + 4, end + 4 + length).toString('utf8') },
    next: end + 4 + length,
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

/**
 * Every response the server sends on `socket` until it closes the connection, in order, and
 * the bytes after the last whole response (none from a well-behaved server). For pipelined
 * requests; none of them may be a HEAD. Rejects after `deadlineMs`.
 */
export function readUntilClose(
  socket: Socket,
  deadlineMs = 10_000,
): Promise<{ responses: RawResponse[]; rest: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not close the connection within ${deadlineMs} ms`));
    }, deadlineMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      const data = Buffer.concat(chunks);
      const responses: RawResponse[] = [];
      let offset = 0;
      for (let parsed = parseAt(data, 0, false); parsed; parsed = parseAt(data, offset, false)) {
        responses.push(parsed.response);
        offset = parsed.next;
      }
      resolve({ responses, rest: data.subarray(offset).toString('latin1') });
    });
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
