/**
 * A PUT whose body arrives in two parts, so a test can hold a request in flight on a node (for
 * example across its SIGTERM) and finish it when it chooses.
 */
import { request } from 'node:http';

export interface SlowPut {
  /** Sends the rest of the body. */
  finish(): void;
  /** The status the node answered (rejects on a connection error or after `timeoutMs`). */
  status: Promise<number>;
}

export function slowPut(
  url: string,
  key: string,
  value: string,
  headers: Record<string, string>,
  timeoutMs = 60_000,
): SlowPut {
  const body = Buffer.from(value);
  const half = Math.floor(body.length / 2);
  const req = request(`${url}/v1/keys/${encodeURIComponent(key)}`, {
    method: 'PUT',
    headers: { ...headers, 'content-length': String(body.length), connection: 'close' },
    timeout: timeoutMs,
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to PUT ${key} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
  req.write(body.subarray(0, half));
  return { finish: () => req.end(body.subarray(half)), status };
}
