/**
 * The API's errors: a status code, a stable machine-readable code, and a message for people.
 * Every error leaves the node as `{"error": {"code": ..., "message": ...}}`.
 */
import { StoreError } from '../store/types.js';

export type ApiErrorCode =
  | 'INVALID_KEY'
  | 'KEY_TOO_LONG'
  | 'INVALID_HEADER'
  | 'INVALID_TTL'
  | 'INVALID_BODY'
  | 'BAD_REQUEST'
  | 'HEADERS_TOO_LARGE'
  | 'NOT_FOUND'
  | 'ROUTE_NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PRECONDITION_FAILED'
  | 'VALUE_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'REQUEST_TIMEOUT'
  | 'TOO_MANY_CONNECTIONS'
  | 'SHUTTING_DOWN'
  | 'STALE_RING'
  | 'DEPOSED_PUBLISHER'
  | 'UNAVAILABLE'
  | 'NO_RING'
  | 'INTERNAL';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers (e.g. Allow on 405, WWW-Authenticate on 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Store errors are the client's fault by construction (the store validates before changing anything). */
export function fromStoreError(err: StoreError): ApiError {
  switch (err.code) {
    case 'VALUE_TOO_LARGE':
      return new ApiError(413, 'VALUE_TOO_LARGE', err.message);
    case 'KEY_TOO_LONG':
      return new ApiError(400, 'KEY_TOO_LONG', err.message);
    case 'INVALID_KEY':
      return new ApiError(400, 'INVALID_KEY', err.message);
    case 'INVALID_TTL':
      return new ApiError(400, 'INVALID_TTL', err.message);
    case 'INVALID_OPTION':
      return new ApiError(400, 'INVALID_HEADER', err.message);
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) return fromStoreError(err);
  return new ApiError(500, 'INTERNAL', 'internal error; see the node log');
}

export const notFound = (key: string): ApiError =>
  new ApiError(404, 'NOT_FOUND', `key ${JSON.stringify(key)} not found`);
