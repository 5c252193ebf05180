/**
 * The sending side of the replication stream (stream-frames.ts): one upgraded connection per
 * peer, batches written as frames, each settled by its acknowledgement. An HTTP exchange per
 * batch costs more CPU than the writes it carries (bench:cluster, CPU per write); a frame
 * costs one write each way.
 *
 * A batch not acknowledged within the timeout, or a connection that breaks, fails every batch
 * on it (the caller falls back to other replicas and hints, as for a failed apply) and the
 * next batch opens a new connection. A peer that does not speak the protocol (an older
 * version answers 404) gets plain applies instead.
 */
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { STALL_THRESHOLD_MS } from './stall-detector.js';
import { encodeStreamEntries } from './stream-entries.js';
import { encodeBatch, FrameReader, STREAM_PATH, STREAM_PROTOCOL } from './stream-frames.js';
import type { ReplicaEntry } from './replica.js';

export interface ReplicationStreamOptions {
  /** The peer headers of the opening request (credential, epoch, sender). */
  headers: () => Record<string, string>;
  epoch: () => number;
  /** Time for a batch to be acknowledged, and for the connection to open. */
  timeoutMs: number;
  /** A plain apply, for peers without the stream. */
  fallback: (address: string, entries: readonly ReplicaEntry[]) => Promise<unknown>;
  /** The error a failed batch rejects with (address, reason). */
  error: (address: string, message: string) => Error;
}

interface Waiting {
  resolve: () => void;
  reject: (err: Error) => void;
  deadline: number;
}

class Stream {
  readonly waiting = new Map<number, Waiting>();
  private sequence = 0;
  private readonly reader = new FrameReader(0);
  private timer: NodeJS.Timeout | undefined;
  private lastCheck = Date.now();
  private readonly checkEveryMs: number;

  constructor(
    private readonly socket: Socket,
    private readonly address: string,
    private readonly options: ReplicationStreamOptions,
    private readonly onClose: () => void,
  ) {
    this.checkEveryMs = Math.min(250, options.timeoutMs);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onAcks(chunk));
    socket.on('error', () => {}); // 'close' follows and fails what waits
    socket.on('close', () => this.fail('the replication stream closed'));
  }

  send(entries: readonly ReplicaEntry[]): Promise<void> {
    const sequence = (this.sequence = (this.sequence + 1) >>> 0);
    const done = new Promise<void>((resolve, reject) =>
      this.waiting.set(sequence, { resolve, reject, deadline: Date.now() + this.options.timeoutMs }),
    );
    this.socket.write(encodeBatch(sequence, this.options.epoch(), encodeStreamEntries(entries)));
    if (this.timer === undefined) {
      this.lastCheck = Date.now();
      this.timer = setInterval(() => this.checkDeadlines(), this.checkEveryMs).unref();
    }
    return done;
  }

  close(): void {
    this.socket.destroy();
  }

  private onAcks(chunk: Buffer): void {
    for (const [sequence, status] of this.reader.acks(chunk)) {
      const waiting = this.waiting.get(sequence);
      if (waiting === undefined) continue;
      this.waiting.delete(sequence);
      if (status === 200) waiting.resolve();
      else waiting.reject(this.options.error(this.address, `apply answered ${status}`));
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
        this.fail(`no acknowledgement within ${this.options.timeoutMs} ms`);
        return;
      }
    }
  }

  private fail(message: string): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.onClose();
    const error = this.options.error(this.address, message);
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}

export class ReplicationStreams {
  private readonly streams = new Map<string, Promise<Stream | undefined>>();
  /** The open streams, for a send without waiting on the opening promise (a write's hot path). */
  private readonly ready = new Map<string, Stream>();

  constructor(private readonly options: ReplicationStreamOptions) {}

  /** Resolves once `address` applied the entries; rejects like a failed apply. */
  apply(address: string, entries: readonly ReplicaEntry[]): Promise<void> {
    const ready = this.ready.get(address);
    return ready !== undefined ? ready.send(entries) : this.applyOpening(address, entries);
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
    if (opened === undefined) return void (await this.options.fallback(address, entries));
    return opened.send(entries);
  }

  close(): void {
    for (const stream of this.streams.values())
      void stream.then(
        (s) => s?.close(),
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
    const opening = new Promise<Stream | undefined>((resolve, reject) => {
      const req = request({
        host,
        port,
        method: 'POST',
        path: STREAM_PATH,
        headers: { ...this.options.headers(), connection: 'Upgrade', upgrade: STREAM_PROTOCOL },
        timeout: this.options.timeoutMs,
      });
      const failed = (message: string) => reject(this.options.error(address, message));
      req.on('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
        socket.setTimeout(0);
        const stream = new Stream(socket, address, this.options, () => {
          if (this.streams.get(address) === opening) this.streams.delete(address);
          if (this.ready.get(address) === stream) this.ready.delete(address);
        });
        this.ready.set(address, stream);
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
