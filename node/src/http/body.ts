/**
 * Reading a request body under a byte limit. A declared Content-Length over the limit is
 * refused before a byte is read; a chunked body is refused the moment it passes the limit, so
 * an oversize upload never sits in memory. Stalled bodies are cut by the server's
 * requestTimeout (see server.ts).
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

/** The client went away mid-body: there is nobody to answer. */
export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection before sending the whole body');
    this.name = 'ClientGoneError';
  }
}

export function tooLarge(what: string, limit: number): ApiError {
  return new ApiError(413, 'VALUE_TOO_LARGE', `${what} exceeds the limit of ${limit} bytes`);
}

/** Throws 413 at once when the declared length is over `limit`. */
export function checkDeclaredLength(req: IncomingMessage, limit: number, what: string): void {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(what, limit);
}

/**
 * Refuses (400) a body sent with a transfer coding other than chunked alone (e.g. `gzip,
 * chunked`): node's parser removes only the chunking, so the bytes would be stored still coded.
 * RFC 9112 suggests 501; a 4xx keeps 5xx for faults of the node, which is what alerts watch.
 */
export function checkTransferCoding(req: IncomingMessage): void {
  const coding = req.headers['transfer-encoding'];
  if (coding === undefined || coding.trim().toLowerCase() === 'chunked') return;
  throw new ApiError(
    400,
    'INVALID_HEADER',
    `Transfer-Encoding ${JSON.stringify(coding)} is not supported: send the body as is (Content-Length) or chunked`,
  );
}

export function readBody(req: IncomingMessage, limit: number, what = 'value'): Promise<Buffer> {
  checkTransferCoding(req);
  checkDeclaredLength(req, limit, what);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) {
        cleanup();
        req.pause();
        reject(tooLarge(what, limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length));
    };
    const onError = (): void => {
      cleanup();
      reject(new ClientGoneError());
    };
    const onClose = (): void => {
      if (!req.complete) onError();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** An unread body up to this size is drained by node to keep the connection; a larger one closes it. */
const DRAIN_LIMIT = 64 * 1024;

/** Whether answering now leaves at most a small unread body for node to discard. */
export function unreadBodyIsSmall(req: IncomingMessage): boolean {
  if (req.complete) return true;
  const declared = req.headers['content-length'];
  if (declared === undefined) return req.headers['transfer-encoding'] === undefined;
  return Number(declared) <= DRAIN_LIMIT;
}
