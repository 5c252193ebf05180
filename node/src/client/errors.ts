/** Errors the client throws: the node's JSON error code and message, or what went wrong on the way. */
export class RingcacheError extends Error {
  constructor(
    /** The node's error code (`VALUE_TOO_LARGE`, `PRECONDITION_FAILED`, ...) or `UNAVAILABLE`. */
    readonly code: string,
    message: string,
    /** The HTTP status, when a node answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'RingcacheError';
  }
}

/** The error a node's JSON answer describes (`{"error": {"code", "message"}}`). */
export function errorFromAnswer(status: number, body: Buffer): RingcacheError {
  try {
    const json = JSON.parse(body.toString('utf8')) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = json.error ?? {};
    if (typeof code === 'string' && typeof message === 'string')
      return new RingcacheError(code, message, status);
  } catch {
    // not JSON: described below
  }
  return new RingcacheError('UNEXPECTED_ANSWER', `the node answered ${status}`, status);
}
