import { request } from 'node:https';
import { request as plainRequest } from 'node:http';

export interface HttpAnswer {
  status: number;
  body: string;
}

export interface HttpOptions {
  method?: string;
  token?: string;
  /** PEM to trust; without it the server's certificate is not checked (readiness probes only). */
  ca?: string;
  body?: unknown;
  timeoutMs?: number;
}

/** One request to a control-plane endpoint (http or https), answered with status and text body. */
export function httpRequest(url: string, opts: HttpOptions = {}): Promise<HttpAnswer> {
  const u = new URL(url);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const send = u.protocol === 'https:' ? request : plainRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      u,
      {
        method: opts.method ?? 'GET',
        headers,
        ca: opts.ca,
        rejectUnauthorized: opts.ca !== undefined,
        timeout: opts.timeoutMs ?? 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in time`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Polls `check` until it returns a value other than undefined, or fails after `timeoutMs` with
 * `what` and the last error seen. `abort` (checked each round) ends the wait early with its reason.
 */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  abort: () => string | undefined = () => undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not yet';
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const reason = abort();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${last})`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
