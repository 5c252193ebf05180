/** One HTTP exchange over keep-alive connections (node:http): the I/O of the client library and of node-to-node calls (cheaper than fetch per call). */
import { Agent, request } from 'node:http';

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** How an exchange whose connection never opened within its deadline fails. */
export const CONNECT_TIMEOUT_MESSAGE = 'could not connect within';

/** A failure to get any answer (refused, reset, timed out): the next owner may answer. */
export class TransportError extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(`${address}: ${message}`);
    this.name = 'TransportError';
  }
}

export class Transport {
  private readonly agent: Agent;

  constructor(maxSockets: number) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(
    address: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body: Buffer | undefined,
    timeoutMs: number,
  ): Promise<Exchange> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(colon + 1));
    return new Promise((resolve, reject) => {
      const req = request(
        { agent: this.agent, host, port, method, path, headers, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on('error', (err) => reject(new TransportError(address, err.message)));
        },
      );
      // Told apart because a connection that never opens (a Service with no endpoint under a
      // kube-proxy that drops its traffic) means nobody is there; a silent peer may be busy.
      req.on('timeout', () =>
        req.destroy(
          new Error(
            req.socket === null || req.socket.connecting
              ? `${CONNECT_TIMEOUT_MESSAGE} ${timeoutMs} ms`
              : `no answer within ${timeoutMs} ms`,
          ),
        ),
      );
      req.on('error', (err) => reject(new TransportError(address, err.message)));
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
