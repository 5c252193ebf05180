/** One HTTP exchange over keep-alive connections (node:http): the I/O of the client library and of node-to-node calls (cheaper than fetch per call). */
import { Agent, request } from 'node:http';

export interface Exchange {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * A caller that sets `expect: 100-continue` gets the body sent only once the node invites it
 * (or after this long without any answer, as curl does, for a server that ignores the header):
 * a node refusing the request on its headers (413 for a declared length over its limit, 401)
 * answers at once and closes, and the answer is read instead of failing the upload with EPIPE.
 */
export const CONTINUE_WAIT_MS = 1000;

/** How an exchange whose connection never opened within its deadline fails. */
export const CONNECT_TIMEOUT_MESSAGE = 'could not connect within';

/** A failure to get any answer (refused, reset, timed out): the next owner may answer. */
export class TransportError extends Error {
  constructor(
    readonly address: string,
    message: string,
    /**
     * False when the request surely never reached the node (no connection was ever open for
     * it): only then is a retry of a conditional request safe, since it cannot have been applied.
     */
    readonly maybeDelivered = true,
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

  /**
   * One request and its answer. `timeoutMs` runs from this call until a connection is open for
   * the request, so time spent queued for a free socket of the agent counts (a per-socket
   * timeout alone starts only once a socket is assigned: a queue behind a hung node could wait
   * many times over). From then on the rest of it bounds each silence of the connection, so a
   * large body that keeps moving is not cut off, and a node that stops answering is.
   */
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
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      let connected = false;
      const req = request({ agent: this.agent, host, port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', fail);
      });
      function fail(err: Error): void {
        clearTimeout(waiting);
        reject(new TransportError(address, err.message, connected));
      }
      // Told apart because a connection that never opens (a Service with no endpoint under a
      // kube-proxy that drops its traffic) means nobody is there; a silent peer may be busy.
      const waiting = setTimeout(() => {
        const message =
          req.socket === null
            ? `no free connection within ${timeoutMs} ms`
            : `${CONNECT_TIMEOUT_MESSAGE} ${timeoutMs} ms`;
        req.destroy(new Error(message));
      }, timeoutMs);
      req.on('socket', (socket) => {
        const open = () => {
          connected = true;
          clearTimeout(waiting);
          req.setTimeout(Math.max(1, deadline - Date.now()));
        };
        if (socket.connecting) socket.once('connect', open);
        else open();
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', fail);
      if (body === undefined || headers.expect !== '100-continue') {
        req.end(body);
        return;
      }
      // The body goes once invited (or unasked after CONTINUE_WAIT_MS); a final answer first
      // means the node refused on the headers: the body is never sent (nor the request ended,
      // which would send a short body): the node closes the connection after its answer.
      let sent = false;
      const sendBody = () => {
        if (sent) return;
        sent = true;
        clearTimeout(unasked);
        req.end(body);
      };
      const unasked = setTimeout(sendBody, CONTINUE_WAIT_MS);
      req.on('continue', sendBody);
      req.on('response', (res) => {
        if (sent) return;
        sent = true;
        clearTimeout(unasked);
        // Refused before its body: this connection cannot carry another request.
        res.on('end', () => req.destroy());
      });
      req.flushHeaders();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
