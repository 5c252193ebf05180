/**
 * Group commit for replication: writes to the same peer that arrive while earlier ones are on
 * the wire travel together in one apply request. Each write still waits for its own
 * acknowledgement, so nothing changes for consistency; under load a peer gets one request
 * per few dozen writes instead of one each, which is most of what replication costs
 * (bench:cluster, CPU per write). At most `maxInFlight` requests per peer are on the wire.
 */
import type { ReplicaEntry } from './replica.js';

type Send = (address: string, entries: ReplicaEntry[]) => Promise<void>;

interface Waiting {
  entry: ReplicaEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Queue {
  waiting: Waiting[];
  bytes: number;
  inFlight: number;
  scheduled: boolean;
}

export class ReplicationBatcher {
  private readonly queues = new Map<string, Queue>();

  constructor(
    private readonly send: Send,
    private readonly maxInFlight = 1,
    private readonly maxEntries = 256,
    private readonly maxBytes = 4 * 1024 * 1024,
  ) {}

  /** Resolves once `address` acknowledged the batch carrying `entry`; rejects with its error. */
  apply(address: string, entry: ReplicaEntry): Promise<void> {
    let queue = this.queues.get(address);
    if (queue === undefined) {
      queue = { waiting: [], bytes: 0, inFlight: 0, scheduled: false };
      this.queues.set(address, queue);
    }
    const done = new Promise<void>((resolve, reject) => queue.waiting.push({ entry, resolve, reject }));
    queue.bytes += entry.value.length + entry.key.length;
    this.schedule(address, queue);
    return done;
  }

  private schedule(address: string, queue: Queue): void {
    if (queue.scheduled || queue.inFlight >= this.maxInFlight || queue.waiting.length === 0) return;
    queue.scheduled = true;
    // The rest of this tick's writes join the batch.
    setImmediate(() => {
      queue.scheduled = false;
      this.flush(address, queue);
    });
  }

  private flush(address: string, queue: Queue): void {
    if (queue.inFlight >= this.maxInFlight || queue.waiting.length === 0) return;
    const batch: Waiting[] = [];
    let bytes = 0;
    while (queue.waiting.length > 0 && batch.length < this.maxEntries && bytes < this.maxBytes) {
      const next = queue.waiting.shift() as Waiting;
      bytes += next.entry.value.length + next.entry.key.length;
      batch.push(next);
    }
    queue.bytes -= bytes;
    queue.inFlight++;
    this.send(
      address,
      batch.map((w) => w.entry),
    )
      .then(
        () => batch.forEach((w) => w.resolve()),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        queue.inFlight--;
        if (queue.waiting.length === 0 && queue.inFlight === 0) this.queues.delete(address);
        else this.schedule(address, queue);
      });
    if (queue.waiting.length > 0) this.schedule(address, queue);
  }
}
