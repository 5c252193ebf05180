/**
 * Node-to-node HTTP: replicate entries, read a replica, forward a client request, hand a ring
 * over. Every call carries the peer credential and the sender's ring epoch and identity (so a
 * node that missed a publication learns of it), and has a deadline.
 */
import { createHash } from 'node:crypto';
import { crc32 } from './checksum.js';
import { ENTRIES_CONTENT_TYPE, decodeEntries, encodeEntries } from './entry-frames.js';
import { EncodedEntries, ENTRIES_BINARY_CONTENT_TYPE, encodeStreamEntries } from './stream-entries.js';
import { Transport, TransportError, type Exchange } from '../transport/http-transport.js';
import type { ReplicaEntry } from './replica.js';
import { ReplicationStreams } from './replication-stream.js';
import type { RingDocument } from '../ring/document.js';
import type { ShareAnswer } from './share-recovery.js';

export const HEADER_EPOCH = 'x-ringcache-epoch';
export const HEADER_SENDER = 'x-ringcache-sender';
export const HEADER_FORWARDED = 'x-ringcache-forwarded';
export const HEADER_HINT_FOR = 'x-ringcache-hint-for';
/**
 * Absolute time (ms since the epoch) after which a key request must not be executed: set by a
 * forwarding node, and by a client (the ring-aware client does) that retries elsewhere once it
 * gives up.
 */
export const HEADER_DEADLINE = 'x-ringcache-deadline';
/**
 * How long ago the first node received a forwarded key request (ms, when it sends the
 * forward), so a write's X-TTL-Ms runs from then on whichever node coordinates it. Relative,
 * so that no two nodes' clocks are compared. Honoured from peers only.
 */
export const HEADER_ELAPSED = 'x-ringcache-elapsed-ms';
/**
 * The sender's peer credential on a forwarded key request, whose Authorization is the client's:
 * only with it is HEADER_FORWARDED honoured, so a client cannot make a replica coordinate in
 * the primary's place.
 */
export const HEADER_PEER_AUTHORIZATION = 'x-ringcache-peer-authorization';
/** SHA-256 of a batch of entries (base64): the receiver refuses a batch that does not match. */
export const HEADER_CHECKSUM = 'x-ringcache-checksum';
/** CRC-32 (decimal) of a binary batch of entries: as HEADER_CHECKSUM, for ENTRIES_BINARY_CONTENT_TYPE. */
export const HEADER_CRC32 = 'x-ringcache-crc32';
/** The receiving process's incarnation (share-recovery.ts), on the answer to an apply. */
export const HEADER_INCARNATION = 'x-ringcache-incarnation';

export function checksumOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('base64');
}

/** How long a peer that refused binary entries (an older version) gets JSON-headed ones. */
const JSON_ENTRIES_FOR_MS = 60_000;

export interface PeerIdentity {
  id: string;
  address: string;
  epoch: () => number;
}

/** How a version without binary entries answers them: 400 INVALID_HEADER for the Content-Type. */
function refusedAsUnknownType(response: Exchange): boolean {
  return response.status === 400 && response.body.toString('utf8').includes('"INVALID_HEADER"');
}

export class PeerError extends Error {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(`${address}: ${message}`);
    this.name = 'PeerError';
  }
}

export class Peers {
  private readonly transport = new Transport(64);
  private readonly streams: ReplicationStreams;
  /** Peers that answered a binary apply as an older version does, and until when. */
  private readonly jsonEntriesUntil = new Map<string, number>();

  constructor(
    private readonly self: PeerIdentity,
    /** The peer credential to present now (it may rotate: http/credential.ts); undefined: none. */
    private readonly peerToken: () => string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.streams = new ReplicationStreams({
      headers: () => this.headers(),
      epoch: () => this.self.epoch(),
      timeoutMs,
      fallback: (address, entries) => this.apply(address, entries),
      error: (address, message) => new PeerError(address, message),
    });
  }

  close(): void {
    this.streams.close();
    this.transport.close();
  }

  /** Replication's copies of writes: over the peer's replication stream (replication-stream.ts). */
  replicate(address: string, entries: readonly ReplicaEntry[]): Promise<void> {
    return this.streams.apply(address, entries);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = {
      [HEADER_EPOCH]: String(this.self.epoch()),
      [HEADER_SENDER]: `${this.self.id}@${this.self.address}`,
      ...extra,
    };
    const token = this.peerToken();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    return headers;
  }

  private async call(
    address: string,
    path: string,
    init: { method?: string; headers: Record<string, string>; body?: Buffer | string },
    timeoutMs = this.timeoutMs,
  ): Promise<Exchange> {
    try {
      const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
      return await this.transport.send(address, init.method ?? 'GET', path, init.headers, body, timeoutMs);
    } catch (err) {
      if (err instanceof TransportError) throw new PeerError(address, err.message.slice(address.length + 2));
      throw err;
    }
  }

  /**
   * Sends entries to a peer, which keeps the newest of each; `hintFor` asks it to hold them for
   * another member. Resolves with the incarnation of the process that took them.
   */
  async apply(
    address: string,
    entries: readonly ReplicaEntry[] | EncodedEntries,
    hintFor?: string,
    timeoutMs?: number,
  ): Promise<string | undefined> {
    const binary = (this.jsonEntriesUntil.get(address) ?? 0) <= Date.now();
    let response = await this.sendEntries(address, entries, binary, hintFor, timeoutMs);
    if (binary && refusedAsUnknownType(response)) {
      // An older version knows only JSON-headed entries: use them for a while, then ask again.
      this.jsonEntriesUntil.set(address, Date.now() + JSON_ENTRIES_FOR_MS);
      response = await this.sendEntries(address, entries, false, hintFor, timeoutMs);
    }
    if (response.status !== 200) throw new PeerError(address, `apply answered ${response.status}`);
    const incarnation = response.headers[HEADER_INCARNATION];
    return typeof incarnation === 'string' ? incarnation : undefined;
  }

  private sendEntries(
    address: string,
    entries: readonly ReplicaEntry[] | EncodedEntries,
    binary: boolean,
    hintFor: string | undefined,
    timeoutMs: number | undefined,
  ): Promise<Exchange> {
    // Binary entries with a CRC-32 cost a fraction of JSON headers with a SHA-256 on both sides
    // (bench:cluster, rebalance): the stream's encoding, the same checksum.
    const encoded = entries instanceof EncodedEntries;
    const body = binary
      ? encoded
        ? entries.body
        : encodeStreamEntries(entries)
      : encodeEntries(encoded ? entries.entries() : entries);
    const extra: Record<string, string> = binary
      ? { 'content-type': ENTRIES_BINARY_CONTENT_TYPE, [HEADER_CRC32]: String(crc32(body)) }
      : { 'content-type': ENTRIES_CONTENT_TYPE, [HEADER_CHECKSUM]: checksumOf(body) };
    if (hintFor !== undefined) extra[HEADER_HINT_FOR] = hintFor;
    return this.call(
      address,
      '/v1/internal/apply',
      { method: 'POST', headers: this.headers(extra), body },
      timeoutMs,
    );
  }

  /**
   * Asks a member to stream this node's share of `epoch` (share-recovery.ts). It answers once
   * everything was sent, so the deadline allows for a whole share.
   */
  async requestShare(address: string, epoch: number, incarnation: string): Promise<ShareAnswer> {
    const answer = (await this.postJson(address, '/v1/internal/share', { epoch, incarnation }, 600_000)) as {
      epoch: number;
      covered?: boolean;
      entries?: number;
      bytes?: number;
    };
    if (answer.epoch !== epoch) return { kind: 'other-epoch', epoch: answer.epoch };
    if (answer.covered === true) return { kind: 'covered' };
    return { kind: 'sent', entries: answer.entries ?? 0, bytes: answer.bytes ?? 0 };
  }

  /** A peer's copy of `key` (value or tombstone), or undefined when it has none. */
  /** A member's copy of `key`; with `withHints`, or the newest hint it holds for the key. */
  async read(address: string, key: string, withHints = false): Promise<ReplicaEntry | undefined> {
    const path = `/v1/internal/entries/${encodeURIComponent(key)}${withHints ? '?hints=1' : ''}`;
    const response = await this.call(address, path, { headers: this.headers() });
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw new PeerError(address, `read answered ${response.status}`);
    return decodeEntries(response.body, 1)[0];
  }

  /**
   * How long a forwarded request may take. Its coordinator may itself wait out one timeout on a
   * silent replica and another on a fallback before it answers; a sender that gave up sooner
   * would suspect a healthy coordinator and fail writes for as long as the suspicion lasts.
   */
  private get forwardTimeoutMs(): number {
    return 3 * this.timeoutMs;
  }

  /** Forwards a client's key request to the node that coordinates it. */
  async forward(
    address: string,
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer,
    deadline = Infinity,
  ) {
    const response = await this.call(
      address,
      path,
      {
        method,
        // A request the sender gave up on must not run later (it would write an old value anew).
        headers: {
          ...headers,
          // Epoch and sender as on every peer call (a node that missed a ring learns it from a
          // forward too). The client's own authorization is checked; the peer credential goes
          // in its own header, vouching for the forwarding headers only.
          [HEADER_EPOCH]: String(this.self.epoch()),
          [HEADER_SENDER]: `${this.self.id}@${this.self.address}`,
          [HEADER_FORWARDED]: this.self.id,
          // The sooner of when this node gives up and when its own sender does.
          [HEADER_DEADLINE]: String(Math.min(Date.now() + this.forwardTimeoutMs, deadline)),
          ...peerAuthorization(this.peerToken()),
        },
        body,
      },
      this.forwardTimeoutMs,
    );
    return response;
  }

  /** Sends our range digests; the ranges that differ, or undefined when the peer holds another epoch. */
  async compareDigests(address: string, epoch: number, digests: Uint32Array): Promise<number[] | undefined> {
    const answer = (await this.postJson(address, '/v1/internal/digests', {
      epoch,
      digests: Array.from(digests),
    })) as { ranges: number[] | null };
    return answer.ranges ?? undefined;
  }

  /** Sends our versions of whole ranges; the peer sends what we lack and answers the keys it needs. */
  async sync(
    address: string,
    epoch: number,
    ranges: readonly number[],
    versions: readonly (readonly [string, number])[],
  ): Promise<string[] | undefined> {
    const answer = (await this.postJson(
      address,
      '/v1/internal/sync',
      { epoch, ranges, versions },
      60_000,
    )) as { want: string[] | null };
    return answer.want ?? undefined;
  }

  private async postJson(address: string, path: string, body: unknown, timeoutMs = 30_000): Promise<unknown> {
    const response = await this.call(
      address,
      path,
      {
        method: 'POST',
        headers: this.headers({ 'content-type': 'application/json' }),
        body: JSON.stringify(body),
      },
      timeoutMs,
    );
    if (response.status !== 200) throw new PeerError(address, `${path} answered ${response.status}`);
    return JSON.parse(response.body.toString('utf8'));
  }

  async installRing(address: string, document: RingDocument): Promise<number> {
    const response = await this.call(address, '/v1/ring', {
      method: 'PUT',
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify(document),
    });
    return response.status;
  }

  async fetchRing(address: string): Promise<unknown> {
    const response = await this.call(address, '/v1/ring', { headers: this.headers() });
    if (response.status !== 200) throw new PeerError(address, `ring answered ${response.status}`);
    return JSON.parse(response.body.toString('utf8'));
  }
}

function peerAuthorization(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { [HEADER_PEER_AUTHORIZATION]: `Bearer ${token}` };
}
