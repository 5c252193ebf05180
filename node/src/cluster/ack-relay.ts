/**
 * Acknowledgements that ride on the stream going the other way (protocol 2, duplex-frames.ts).
 * Two nodes that both write usually hold a stream each way: X→Y carries X's batches, Y→X
 * Y's. Y acknowledges X's batch on Y→X, inside the socket write of its own next batch to X,
 * when that batch leaves later in the same event-loop turn (bench:cluster, CPU per write: an
 * ack costs a write and a wake-up of its own). Nothing waits longer for it: without a batch
 * due this turn the ack goes back on X→Y at once, as before.
 *
 * Trust: an acknowledgement read on an inbound connection (authenticated with the peer
 * credential) settles only a batch of ours sent to the node that connection names as its
 * sender, which is the identity that node gave in the 101 answer to our stream. Losing such a
 * connection fails what waits on our streams to that node, as losing the stream itself does:
 * its acknowledgements may have been on it.
 */
import type { Socket } from 'node:net';
import { encodeFrames, type Ack } from './duplex-frames.js';

/** An outbound protocol 2 stream, as the relay sees it (replication-stream.ts). */
export interface RelayStream {
  readonly id: number;
  /** The identity (id@address) the receiver gave in its 101 answer. */
  readonly peer: string;
  settle(sequence: number, status: number): void;
  /** True when a batch leaves on this stream later in this event-loop turn. */
  batchDue(): boolean;
  /** Queues `ack` to leave with that batch (or on `inbound` if it does not leave this turn). */
  carry(ack: Ack, inbound: Socket): void;
  /** Fails every batch waiting for an acknowledgement, and the stream with them. */
  fail(message: string): void;
}

export class AckRelay {
  private readonly byId = new Map<number, RelayStream>();
  private readonly byPeer = new Map<string, RelayStream>();

  add(stream: RelayStream): void {
    this.byId.set(stream.id, stream);
    this.byPeer.set(stream.peer, stream);
  }

  remove(stream: RelayStream): void {
    if (this.byId.get(stream.id) === stream) this.byId.delete(stream.id);
    if (this.byPeer.get(stream.peer) === stream) this.byPeer.delete(stream.peer);
  }

  /** Acknowledgements read on an inbound connection from `sender`. */
  settle(sender: string, acks: readonly Ack[]): void {
    for (const ack of acks) {
      const stream = this.byId.get(ack.stream);
      if (stream !== undefined && stream.peer === sender) stream.settle(ack.sequence, ack.status);
    }
  }

  /** Sends `acks` for `sender`'s batches (read on `inbound`): on our batch to it, or at once on `inbound`. */
  acknowledge(sender: string, acks: readonly Ack[], inbound: Socket): void {
    const stream = this.byPeer.get(sender);
    if (stream !== undefined && stream.batchDue()) {
      for (const ack of acks) stream.carry(ack, inbound);
    } else {
      inbound.write(encodeFrames(acks));
    }
  }

  /** An inbound connection from `sender` closed: acknowledgements on it may be lost. */
  lost(sender: string): void {
    this.byPeer.get(sender)?.fail(`the connection from ${sender} closed`);
  }
}
