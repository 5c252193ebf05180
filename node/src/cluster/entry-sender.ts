/**
 * Sends many entries to several peers: per destination, batches bounded by count and bytes,
 * a few on the wire at once while the caller keeps producing. One mechanism for hand-off,
 * drain, share recovery and anti-entropy; each says what a sent or a failed batch means to it.
 *
 * Entries are encoded into their batch when added (EncodedEntries), so a caller may pass an
 * entry whose value views the store's bytes (Replica.view): nothing is kept of it.
 */
import type { ReplicaEntry } from './replica.js';
import { EncodedEntries } from './stream-entries.js';

export interface Destination {
  /** Member id the batch goes to. */
  to: string;
  /** When set, the receiver holds the entries as hints for this member. */
  hintFor?: string;
}

export interface EntrySenderOptions {
  send: (destination: Destination, batch: EncodedEntries) => Promise<unknown>;
  onSent?: (destination: Destination, batch: EncodedEntries, bytes: number) => void;
  onFailed: (destination: Destination, batch: EncodedEntries, err: unknown) => void;
  maxEntries?: number;
  maxBytes?: number;
  /** Batches on the wire at once (over all destinations). */
  inFlight?: number;
}

interface Batch {
  destination: Destination;
  entries: EncodedEntries;
  /** Keys and values added: what maxBytes bounds, and what onSent reports. */
  bytes: number;
}

/** A batch's first buffer: small batches (anti-entropy) stay small, large ones double. */
const INITIAL_BATCH_BYTES = 256 * 1024;
/** Room per entry beyond its key and value in a batch (fixed fields and a short content type). */
const ENTRY_OVERHEAD_BYTES = 64;

export class EntrySender {
  private readonly batches = new Map<string, Batch>();
  private readonly sending = new Set<Promise<void>>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly inFlight: number;

  constructor(private readonly options: EntrySenderOptions) {
    this.maxEntries = options.maxEntries ?? 256;
    this.maxBytes = options.maxBytes ?? 4 * 1024 * 1024;
    this.inFlight = options.inFlight ?? 1;
  }

  /**
   * Encodes `entry` into the batch for `destination`. Returns a promise only when a full batch
   * must wait for room on the wire (await it); otherwise nothing, so a caller queuing a million
   * entries does not pay a microtask for each.
   */
  add(destination: Destination, entry: ReplicaEntry): Promise<void> | undefined {
    const name = `${destination.to}\u0000${destination.hintFor ?? ''}`;
    let batch = this.batches.get(name);
    if (batch === undefined) {
      // A full batch: its keys and values, plus each entry's fixed fields and content type.
      const expected = this.maxBytes + this.maxEntries * ENTRY_OVERHEAD_BYTES;
      const entries = new EncodedEntries(INITIAL_BATCH_BYTES, expected);
      this.batches.set(name, (batch = { destination, entries, bytes: 0 }));
    }
    batch.entries.add(entry);
    batch.bytes += entry.value.length + entry.key.length;
    if (batch.entries.count >= this.maxEntries || batch.bytes >= this.maxBytes) return this.flush(name);
    return undefined;
  }

  /** Sends what is queued and waits for every batch to be answered. */
  async finish(): Promise<void> {
    for (const name of [...this.batches.keys()]) await this.flush(name);
    await Promise.all(this.sending);
  }

  private async flush(name: string): Promise<void> {
    const batch = this.batches.get(name);
    if (batch === undefined) return;
    this.batches.delete(name);
    while (this.sending.size >= this.inFlight) await Promise.race(this.sending);
    const { destination, entries, bytes } = batch;
    const sent: Promise<void> = this.options
      .send(destination, entries)
      .then(
        () => this.options.onSent?.(destination, entries, bytes),
        (err: unknown) => this.options.onFailed(destination, entries, err),
      )
      .finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }
}
