/**
 * A PUT whose body arrives in two parts, so a test can hold a request in flight on a node (for
 * example across its SIGTERM) and finish it when it chooses.
 */
import { request } from 'node:http';

export interface SlowPut {
  /**
   * Resolves once the node has the request: it answered `100 Continue` (node's server does so
   * when it hands the request to its handler) and the first part of the body was sent.
   */
  started: Promise<void>;
  /** Sends the rest of the body. */
  finish(): void;
  /** The status the node answered (rejects on a connection error or after `timeoutMs` idle). */
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
    headers: {
      ...headers,
      'content-length': String(body.length),
      connection: 'close',
      expect: '100-continue',
    },
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
  const started = new Promise<void>((resolve, reject) => {
    req.once('continue', () => req.write(body.subarray(0, half), () => resolve()));
    status.catch(reject);
    void status.then(() => reject(new Error(`PUT ${key} was answered before its body was sent`)));
  });
  req.flushHeaders();
  return { started, finish: () => req.end(body.subarray(half)), status };
}
