/** Options of RingcacheClient, each documented where it is declared (as lru-cache does). */
import type { Consistency } from '../ring/index.js';

export type { Consistency };

export interface ClientOptions {
  /**
   * `host:port` of one or more nodes. The client learns the ring from the first that answers
   * and from then on talks to each key's owners directly; without a ring (a single node) it
   * sends every request to these endpoints in turn. At least one is required.
   */
  endpoints: readonly string[];
  /** The bearer token when the cluster has auth on. */
  token?: string;
  /** Default `X-Consistency` of every request; the cluster's default when absent. */
  consistency?: Consistency;
  /**
   * Per-attempt time limit in milliseconds, from the call (waiting for a free connection
   * counts) to the answer. Default 5000: longer than a node's own wait for a silent primary
   * (3x its --replica-timeout-ms, 3000 by default) before it coordinates a request itself, so
   * the retry on the next owner can succeed while the primary hangs.
   */
  timeoutMs?: number;
  /**
   * Further attempts on the key's next owners (then the endpoints) after a connection error,
   * a timeout or a 503. Default 2. A node that failed to answer is tried last for the next 10 s.
   * A conditional write or delete (ifMatch, ifAbsent) is retried only when it surely never
   * reached a node: otherwise it fails with the first error, as its outcome is unknown.
   */
  retries?: number;
  /** Open connections kept per node. Default 16. */
  maxSockets?: number;
  /**
   * This process's wall clock, in ms since the epoch. Default Date.now. It need not agree with
   * the nodes': once a node has answered, each attempt's deadline is put on their clock as
   * measured from their answers (against a monotonic clock, so a step of this one is harmless).
   */
  now?: () => number;
}

export interface SetOptions {
  /** Time to live in milliseconds (`X-TTL-Ms`). */
  ttlMs?: number;
  /** Stored with the value and returned by get. Default `application/octet-stream`. */
  contentType?: string;
  /** Compare-and-set: write only if the current ETag is this one (`If-Match`). */
  ifMatch?: string;
  /** Create only: write only if the key is absent (`If-None-Match: *`). */
  ifAbsent?: boolean;
  consistency?: Consistency;
}

export interface ReadOptions {
  consistency?: Consistency;
}

export interface DeleteOptions {
  /** Delete only if the current ETag is this one. */
  ifMatch?: string;
  consistency?: Consistency;
}

export interface CacheEntry {
  value: Buffer;
  contentType: string;
  /** Opaque version tag, for `ifMatch`. */
  etag: string;
  /** Remaining time to live in milliseconds, when the key expires. */
  ttlMs?: number;
}

export interface SetResult {
  /** True when the key did not exist before (201), false when it was replaced (204). */
  created: boolean;
  etag: string;
}

export const CLIENT_DEFAULTS = { timeoutMs: 5000, retries: 2, maxSockets: 16 } as const;

/** Checks options up front with exact messages (tests hold them). */
export function checkOptions(options: ClientOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { endpoints, timeoutMs, retries, maxSockets } = options;
  if (!Array.isArray(endpoints) || endpoints.length === 0) {
    throw new TypeError('endpoints must be a non-empty array of "host:port"');
  }
  for (const endpoint of endpoints) {
    if (typeof endpoint !== 'string' || !/^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/.test(endpoint)) {
      throw new TypeError(`endpoint ${JSON.stringify(endpoint)} is not "host:port"`);
    }
  }
  const positive = (value: number | undefined, name: string, zeroOk = false) => {
    if (value === undefined) return;
    if (!Number.isSafeInteger(value) || value < (zeroOk ? 0 : 1)) {
      throw new TypeError(`${name} must be an integer of at least ${zeroOk ? 0 : 1}, got ${String(value)}`);
    }
  };
  positive(timeoutMs, 'timeoutMs');
  positive(retries, 'retries', true);
  positive(maxSockets, 'maxSockets');
  if (options.now !== undefined && typeof options.now !== 'function') {
    throw new TypeError('now must be a function returning milliseconds since the epoch');
  }
  if (options.consistency !== undefined && !['one', 'quorum', 'all'].includes(options.consistency)) {
    throw new TypeError(`consistency must be one, quorum or all, got ${JSON.stringify(options.consistency)}`);
  }
}
