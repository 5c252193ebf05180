/**
 * RingcacheClient: a ring-aware client of the node's HTTP API (docs/http-api.md). It sends
 * each key straight to its primary (no forwarding hop), refreshes the ring when a node answers
 * with a newer epoch, and on a connection error, a timeout or a 503 retries on the key's next
 * owner. A plain write or delete is safe to retry: a write carries its value, one that landed
 * twice gets a newer version of the same value, and every attempt carries its deadline
 * (X-Ringcache-Deadline), so a node that gets to it only after the client gave up (paused,
 * the attempt queued on its socket) refuses it instead of overwriting the writes that followed.
 * A conditional one (ifMatch, ifAbsent)
 * is not: its retry would judge the condition against its own first attempt, so it is retried
 * only when the first attempt surely never reached a node.
 */
import { buildRing, parseRingDocument } from '../ring/index.js';
import { isContentTypeText } from '../store/content-types.js';
import { ClockOffset } from './clock-offset.js';
import { errorFromAnswer, RingcacheError } from './errors.js';
import {
  checkOptions,
  CLIENT_DEFAULTS,
  type CacheEntry,
  type ClientOptions,
  type DeleteOptions,
  type ReadOptions,
  type SetOptions,
  type SetResult,
} from './options.js';
import { targetsFor, type Routing } from './routing.js';
import { Transport, TransportError, type Exchange } from '../transport/http-transport.js';

const MAX_KEY_BYTES = 250;
/** Values larger than this are sent with `Expect: 100-continue` (one round trip more, cheap beside the upload). */
export const EXPECT_CONTINUE_BYTES = 64 * 1024;
/** How long a node that failed to answer is tried after the key's other owners. */
export const SUSPECT_MS = 10_000;
/** Without a ring (nodes serving alone), how often the client asks again whether one appeared. */
export const RING_RECHECK_MS = 30_000;

export class RingcacheClient {
  private readonly options: Required<Pick<ClientOptions, 'timeoutMs' | 'retries' | 'maxSockets'>> &
    ClientOptions;
  private readonly transport: Transport;
  private routing: Routing | undefined;
  private refreshing: Promise<void> | undefined;
  private rotation = 0;
  /** When a node last answered a ring request (with a ring or a 404); 0 before any did. */
  private ringCheckedAt = 0;
  /** The nodes' clock, for the deadlines attempts carry. */
  private readonly nodeClock = new ClockOffset();
  private readonly now: () => number;
  /** Addresses that failed to answer, until when they go last. */
  private readonly suspects = new Map<string, number>();

  constructor(options: ClientOptions) {
    checkOptions(options);
    // An option given as undefined takes its default, as an absent one does.
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    this.options = { ...CLIENT_DEFAULTS, ...given, endpoints: [...options.endpoints] };
    this.transport = new Transport(this.options.maxSockets);
    this.now = options.now ?? Date.now;
  }

  /** The ring epoch the client routes by (0 before it has one). */
  get epoch(): number {
    return this.routing?.document.epoch ?? 0;
  }

  /** Fetches the ring from the first endpoint or member that has one; keeps the newest. */
  refreshRing(): Promise<void> {
    this.refreshing ??= this.fetchRing().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async fetchRing(): Promise<void> {
    const candidates = [...this.options.endpoints, ...(this.routing?.addressOf.values() ?? [])];
    for (const address of new Set(candidates)) {
      let answer: Exchange;
      try {
        answer = await this.transport.send(
          address,
          'GET',
          '/v1/ring',
          this.headers(),
          undefined,
          this.options.timeoutMs,
        );
      } catch {
        continue;
      }
      this.ringCheckedAt = Date.now();
      if (answer.status !== 200) continue; // 404: that node serves alone
      const document = parseRingDocument(JSON.parse(answer.body.toString('utf8')));
      if (document.epoch > this.epoch && document.members.length > 0) {
        this.routing = {
          document,
          ring: buildRing(document),
          addressOf: new Map(document.members.map((m) => [m.id, m.address])),
        };
      }
      return;
    }
  }

  async get(key: string, options: ReadOptions = {}): Promise<CacheEntry | undefined> {
    const answer = await this.call('GET', key, options.consistency, {}, undefined);
    if (answer.status === 404) return undefined;
    if (answer.status !== 200) throw errorFromAnswer(answer.status, answer.body);
    const ttl = answer.headers['x-ttl-ms'];
    const entry: CacheEntry = {
      value: answer.body,
      contentType: String(answer.headers['content-type'] ?? 'application/octet-stream'),
      etag: String(answer.headers.etag ?? ''),
    };
    if (ttl !== undefined) entry.ttlMs = Number(ttl);
    return entry;
  }

  async set(key: string, value: Buffer | Uint8Array | string, options: SetOptions = {}): Promise<SetResult> {
    const contentType = options.contentType ?? 'application/octet-stream';
    if (typeof contentType !== 'string' || contentType.length === 0 || !isContentTypeText(contentType)) {
      throw new RingcacheError(
        'INVALID_OPTION',
        `contentType must be 1 to 255 characters of header text, got ${JSON.stringify(contentType)}`,
      );
    }
    const headers: Record<string, string> = { 'content-type': contentType };
    if (options.ttlMs !== undefined) {
      if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs < 1) {
        throw new RingcacheError(
          'INVALID_OPTION',
          `ttlMs must be a positive integer, got ${String(options.ttlMs)}`,
        );
      }
      headers['x-ttl-ms'] = String(options.ttlMs);
    }
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    if (options.ifAbsent === true) headers['if-none-match'] = '*';
    const body =
      typeof value === 'string'
        ? Buffer.from(value)
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const answer = await this.call('PUT', key, options.consistency, headers, body);
    if (answer.status !== 201 && answer.status !== 204) throw errorFromAnswer(answer.status, answer.body);
    return { created: answer.status === 201, etag: String(answer.headers.etag ?? '') };
  }

  /** Deletes `key`; false when it was absent. */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    const headers: Record<string, string> = {};
    if (options.ifMatch !== undefined) headers['if-match'] = options.ifMatch;
    const answer = await this.call('DELETE', key, options.consistency, headers, undefined);
    if (answer.status === 404) return false;
    if (answer.status !== 204) throw errorFromAnswer(answer.status, answer.body);
    return true;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.transport.close();
  }

  private headers(): Record<string, string> {
    return this.options.token === undefined ? {} : { authorization: `Bearer ${this.options.token}` };
  }

  /** Sends to the key's owners in turn until one answers with something other than 503. */
  private async call(
    method: string,
    key: string,
    consistency: string | undefined,
    extra: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<Exchange> {
    checkKey(key);
    if (this.routing === undefined) {
      // Asked once up front; after a node said it serves alone, again now and then in the background.
      if (this.ringCheckedAt === 0) await this.refreshRing();
      else if (Date.now() - this.ringCheckedAt > RING_RECHECK_MS) void this.refreshRing();
    }
    const headers = { ...this.headers(), ...extra };
    const level = consistency ?? this.options.consistency;
    if (level !== undefined) headers['x-consistency'] = level;
    if (body !== undefined && body.length > EXPECT_CONTINUE_BYTES) {
      // A node refuses a value over its limit on the declared length (413) and closes without
      // reading it: asked first, the answer arrives instead of a broken upload (http-transport.ts).
      headers.expect = '100-continue';
      headers['content-length'] = String(body.length);
    }
    const conditional = extra['if-match'] !== undefined || extra['if-none-match'] !== undefined;
    const path = `/v1/keys/${encodeURIComponent(key)}`;
    const attempts = this.options.retries + 1;
    const candidates = targetsFor(
      this.routing,
      this.options.endpoints,
      key,
      attempts + this.suspects.size,
      this.rotation++,
    );
    const targets = suspectsLast(candidates, (address) => this.suspected(address)).slice(0, attempts);
    let failure: Error | undefined;
    for (const address of targets) {
      let answer: Exchange;
      try {
        // The node refuses an attempt it gets to after this one gave up (paused, queued on its
        // socket): applied later, it would overwrite what the retry and later writes stored.
        // On the nodes' clock as measured from their answers, so a skewed client still works.
        const sentAt = performance.now();
        const deadline = String(this.nodeClock.fromNow(this.options.timeoutMs, sentAt, this.now()));
        answer = await this.transport.send(
          address,
          method,
          path,
          { ...headers, 'x-ringcache-deadline': deadline },
          body,
          this.options.timeoutMs,
        );
        this.nodeClock.sample(sentAt, performance.now(), Number(answer.headers['x-ringcache-time']));
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        this.suspects.set(address, Date.now() + SUSPECT_MS);
        void this.refreshRing(); // a node gone may mean a new ring
        if (conditional && err.maybeDelivered) throw outcomeUnknown(key, err);
        // What a node that answered said (a 503 and why) says more than a connection refused.
        if (!(failure instanceof RingcacheError)) failure = err;
        continue;
      }
      this.suspects.delete(address);
      const epoch = Number(answer.headers['x-ringcache-epoch']);
      if (epoch > this.epoch) void this.refreshRing();
      if (answer.status === 503) {
        failure = errorFromAnswer(answer.status, answer.body);
        // A 503 may come after the coordinator applied the write (a quorum it did not reach).
        if (conditional) throw failure;
        continue;
      }
      return answer;
    }
    if (failure instanceof RingcacheError) throw failure;
    throw new RingcacheError(
      'UNAVAILABLE',
      `no node answered for key ${JSON.stringify(key)} after ${targets.length} attempts: ${failure?.message ?? 'no targets'}`,
    );
  }

  private suspected(address: string): boolean {
    const until = this.suspects.get(address);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.suspects.delete(address);
    return false;
  }
}

/** `targets` with the suspected ones moved to the end, each group in its order. */
export function suspectsLast(targets: readonly string[], suspected: (address: string) => boolean): string[] {
  const fine = targets.filter((address) => !suspected(address));
  return fine.length === targets.length ? [...targets] : [...fine, ...targets.filter(suspected)];
}

function outcomeUnknown(key: string, err: TransportError): RingcacheError {
  return new RingcacheError(
    'UNAVAILABLE',
    `conditional request for key ${JSON.stringify(key)} not retried: the outcome is unknown (${err.message})`,
  );
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new RingcacheError('INVALID_KEY', 'a key must be a non-empty string');
  }
  if (!key.isWellFormed()) {
    throw new RingcacheError('INVALID_KEY', 'a key must be well-formed Unicode (no lone surrogate)');
  }
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_KEY_BYTES) {
    throw new RingcacheError(
      'KEY_TOO_LONG',
      `key of ${bytes} bytes exceeds the limit of ${MAX_KEY_BYTES} bytes`,
    );
  }
}
