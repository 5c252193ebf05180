/**
 * The sending side of the replication stream (duplex-frames.ts): one upgraded connection per
 * peer, batches written as frames, each settled by its acknowledgement. An HTTP exchange per
 * batch costs more CPU than the writes it carries (bench:cluster, CPU per write); a frame
 * costs one write each way, less when acknowledgements ride on the batches going the other
 * way (ack-relay.ts): they arrive on this socket or on the peer's own stream to us.
 *
 * A batch not acknowledged within the timeout, or a connection that breaks (this one, or the
 * peer's stream to us that may carry our acknowledgements), fails every batch on it (the
 * caller falls back to other replicas and hints, as for a failed apply) and the next batch
 * opens a new connection. A peer that does not speak the protocol (an older version answers
 * 404) gets plain applies instead.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { AckRelay, RelayStream } from './ack-relay.js';
import { DuplexReader, encodeFrames, type Ack } from './duplex-frames.js';
import { HEADER_SENDER } from './peers.js';
import { STALL_THRESHOLD_MS } from './stall-detector.js';
import { encodeStreamEntries } from './stream-entries.js';
import { HEADER_STREAM, STREAM_PATH, STREAM_PROTOCOL } from './stream-frames.js';
import type { ReplicaEntry } from './replica.js';

/** Settles one batch: no argument once applied, the error otherwise. */
export type Done = (err?: Error) => void;

export interface ReplicationStreamOptions {
  /** The peer headers of the opening request (credential, epoch, sender). */
  headers: () => Record<string, string>;
  epoch: () => number;
  /** Time for a batch to be acknowledged, and for the connection to open. */
  timeoutMs: number;
  /** A plain apply, for peers without the stream. */
  fallback: (address: string, entries: readonly ReplicaEntry[]) => Promise<void>;
  /** The error a failed batch rejects with (address, reason). */
  error: (address: string, message: string) => Error;
  /** Whether a batch to `address` leaves later in this event-loop turn (replication-batcher.ts). */
  batchDue: (address: string) => boolean;
  relay: AckRelay;
}

interface Waiting {
  done: Done;
  deadline: number;
}

/** Stream ids name a connection for as long as this process lives (2^32 connections). */
let lastId = 0;

class Stream implements RelayStream {
  readonly id: number;
  readonly waiting = new Map<number, Waiting>();
  private sequence = 0;
  private readonly reader = new DuplexReader(1 << 20);
  private timer: NodeJS.Timeout | undefined;
  private lastCheck = Date.now();
  private readonly checkEveryMs: number;
  /** Acknowledgements of the peer's batches that leave with our next batch (ack-relay.ts). */
  private carried: Ack[] = [];
  private carriedInbound: Socket[] = [];
  private closed = false;

  constructor(
    id: number,
    private readonly socket: Socket,
    private readonly address: string,
    readonly peer: string,
    private readonly options: ReplicationStreamOptions,
    private readonly onClose: () => void,
  ) {
    this.id = id;
    this.checkEveryMs = Math.min(250, options.timeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {}); // 'close' follows and fails what waits
    socket.on('close', () => this.close('the replication stream closed'));
  }

  send(entries: readonly ReplicaEntry[], done: Done): void {
    const sequence = (this.sequence = (this.sequence + 1) >>> 0);
    this.waiting.set(sequence, { done, deadline: Date.now() + this.options.timeoutMs });
    const batch = { sequence, epoch: this.options.epoch(), entries: encodeStreamEntries(entries) };
    const acks = this.carried;
    if (acks.length > 0) {
      this.carried = [];
      this.carriedInbound = [];
    }
    this.socket.write(encodeFrames(acks, batch));
    if (this.timer === undefined) {
      this.lastCheck = Date.now();
      this.timer = setInterval(() => this.checkDeadlines(), this.checkEveryMs).unref();
    }
  }

  batchDue(): boolean {
    return !this.closed && this.options.batchDue(this.address);
  }

  carry(ack: Ack, inbound: Socket): void {
    // The batch due this turn takes it; if none took it by the end of the turn (an immediate
    // queued now runs after the batcher's, queued earlier), it goes back the way it came.
    if (this.carried.length === 0) setImmediate(() => this.release());
    this.carried.push(ack);
    this.carriedInbound.push(inbound);
  }

  settle(sequence: number, status: number): void {
    const waiting = this.waiting.get(sequence);
    if (waiting === undefined) return;
    this.waiting.delete(sequence);
    if (status === 200) waiting.done();
    else waiting.done(this.options.error(this.address, `apply answered ${status}`));
  }

  fail(message: string): void {
    if (this.waiting.size === 0) return;
    this.socket.destroy();
    this.close(message);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let acks: Ack[];
    try {
      const frames = this.reader.read(chunk);
      // Only acknowledgements come back on our own stream: the peer sends its batches on its own.
      if (frames.batches.length > 0) throw new RangeError('a batch on the acknowledging side');
      acks = frames.acks;
    } catch (err) {
      this.socket.destroy();
      this.close(`a broken frame: ${(err as Error).message}`);
      return;
    }
    for (const ack of acks) if (ack.stream === this.id) this.settle(ack.sequence, ack.status);
  }

  /** Writes the carried acknowledgements that no batch took, each back on its own connection. */
  private release(): void {
    const acks = this.carried;
    const inbound = this.carriedInbound;
    this.carried = [];
    this.carriedInbound = [];
    for (const socket of new Set(inbound)) {
      if (!socket.destroyed) socket.write(encodeFrames(acks.filter((_a, i) => inbound[i] === socket)));
    }
  }

  private checkDeadlines(): void {
    const now = Date.now();
    const late = now - this.lastCheck > this.checkEveryMs + STALL_THRESHOLD_MS;
    this.lastCheck = now;
    // This process was frozen: the acknowledgements that arrived meanwhile are read before the
    // next check, so a peer that answered in time is not cut off for our own pause.
    if (late) return;
    for (const waiting of this.waiting.values()) {
      if (waiting.deadline <= now) {
        // A peer that stopped answering (paused, partitioned): drop the connection and all on it.
        this.socket.destroy();
        this.close(`no acknowledgement within ${this.options.timeoutMs} ms`);
        return;
      }
    }
  }

  private close(message: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.release();
    this.onClose();
    const error = this.options.error(this.address, message);
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.done(error);
  }
}

export class ReplicationStreams {
  private readonly streams = new Map<string, Promise<Stream | undefined>>();
  /** The open streams, for a send without waiting on the opening promise (a write's hot path). */
  private readonly ready = new Map<string, Stream>();

  constructor(private readonly options: ReplicationStreamOptions) {}

  /** Calls `done` once `address` applied the entries, or with the error of a failed apply. */
  apply(address: string, entries: readonly ReplicaEntry[], done: Done): void {
    const ready = this.ready.get(address);
    if (ready !== undefined) ready.send(entries, done);
    else this.applyOpening(address, entries).then(() => done(), done);
  }

  private async applyOpening(address: string, entries: readonly ReplicaEntry[]): Promise<void> {
    let stream = this.streams.get(address);
    if (stream === undefined) {
      stream = this.open(address);
      this.streams.set(address, stream);
    }
    const opened = await stream.catch((err: Error) => {
      this.streams.delete(address);
      throw err;
    });
    if (opened === undefined) return this.options.fallback(address, entries);
    return new Promise<void>((resolve, reject) =>
      opened.send(entries, (err) => (err === undefined ? resolve() : reject(err))),
    );
  }

  close(): void {
    for (const stream of this.streams.values())
      void stream.then(
        (s) => s?.destroy(),
        () => {},
      );
    this.streams.clear();
    this.ready.clear();
  }

  /** Upgrades a connection to the stream; undefined when the peer does not speak it. */
  private open(address: string): Promise<Stream | undefined> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(colon + 1));
    const id = (lastId = (lastId + 1) >>> 0);
    const opening = new Promise<Stream | undefined>((resolve, reject) => {
      const req = request({
        host,
        port,
        method: 'POST',
        path: STREAM_PATH,
        headers: {
          ...this.options.headers(),
          [HEADER_STREAM]: String(id),
          connection: 'Upgrade',
          upgrade: STREAM_PROTOCOL,
        },
        timeout: this.options.timeoutMs,
      });
      const failed = (message: string) => reject(this.options.error(address, message));
      req.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.setTimeout(0);
        const { relay } = this.options;
        const stream = new Stream(
          id,
          socket,
          address,
          String(res.headers[HEADER_SENDER]),
          this.options,
          () => {
            relay.remove(stream);
            if (this.streams.get(address) === opening) this.streams.delete(address);
            if (this.ready.get(address) === stream) this.ready.delete(address);
          },
        );
        this.ready.set(address, stream);
        relay.add(stream);
        if (head.length > 0) socket.unshift(head);
        resolve(stream);
      });
      req.on('response', (res: IncomingMessage) => {
        res.resume();
        if (res.statusCode === 404) {
          resolve(undefined);
          // Asked again later: the peer may be upgraded by then.
          setTimeout(
            () => this.streams.get(address) === opening && this.streams.delete(address),
            60_000,
          ).unref();
        } else failed(`the replication stream was answered ${res.statusCode}`);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.options.timeoutMs} ms`)));
      req.on('error', (err) => failed(err.message));
      req.end();
    });
    return opening;
  }
}
