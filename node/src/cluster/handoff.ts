/**
 * Hand-off on a new ring: stream every entry held here to the replicas that did not own it
 * under the previous ring (all of them when there was none), in batches bounded by count and
 * bytes. A leaving member thereby hands off all it holds; a joining member receives its share
 * from the others. Values keep their version, content type and absolute expiry; every batch
 * travels with a checksum the receiver verifies (peers.ts). Progress is kept in
 * `HandoffProgress`, which GET /v1/status and /metrics show.
 */
import { ownersForWrite } from '../ring/index.js';
import type { Peers } from './peers.js';
import type { Placement } from './placement.js';
import { EntrySender } from './entry-sender.js';
import type { Replica, ReplicaEntry } from './replica.js';

const BATCH_ENTRIES = 1024;
const BATCH_BYTES = 2 * 1024 * 1024;
/** Batches on the wire at once: the next one is encoded while the receiver applies the last. */
const IN_FLIGHT = 4;

export interface HandoffProgress {
  epoch: number;
  /** Entries (values and tombstones) held when the hand-off began: what it scans. */
  keysTotal: number;
  keysScanned: number;
  entriesSent: number;
  bytesSent: number;
  /** Entries a new owner did not take; kept as hints for it. */
  entriesHinted: number;
  startedAt: number;
  /** When it finished (ms since the epoch); 0 while running or when a newer ring cut it short. */
  finishedAt: number;
}

export interface HandoffDeps {
  selfId: string;
  replica: Replica;
  peers: Peers;
  address: (id: string) => string;
  /** False once a newer ring was installed: stop, the next hand-off takes over. */
  stillCurrent: () => boolean;
  hint: (id: string, entry: ReplicaEntry) => void;
  /** A batch for `to` was taken by the process of that incarnation (undefined: it failed). */
  receipt: (to: string, incarnation: string | undefined) => void;
  /** A batch was taken: counted at once, so the totals never wait for the hand-off to end. */
  sent: (entries: number, bytes: number) => void;
  now: () => number;
}

export function newProgress(epoch: number, now: number): HandoffProgress {
  return {
    epoch,
    keysTotal: 0,
    keysScanned: 0,
    entriesSent: 0,
    bytesSent: 0,
    entriesHinted: 0,
    startedAt: now,
    finishedAt: 0,
  };
}

/** Streams to new owners; resolves true when done, false when a newer ring cut it short. */
export async function handOff(
  deps: HandoffDeps,
  previous: Placement | undefined,
  next: Placement,
  progress: HandoffProgress,
): Promise<boolean> {
  const { replica, selfId, peers } = deps;
  const sender = new EntrySender({
    send: async ({ to }, entries) =>
      deps.receipt(to, await peers.apply(deps.address(to), entries, undefined, 60_000)),
    onSent: (_to, batch, bytes) => {
      progress.entriesSent += batch.count;
      progress.bytesSent += bytes;
      deps.sent(batch.count, bytes);
    },
    onFailed: ({ to }, batch) => {
      deps.receipt(to, undefined);
      // Hints outlive the batch: each keeps its own copy of the value.
      for (const entry of batch.entries()) deps.hint(to, { ...entry, value: Buffer.from(entry.value) });
      progress.entriesHinted += batch.count;
    },
    maxEntries: BATCH_ENTRIES,
    maxBytes: BATCH_BYTES,
    inFlight: IN_FLIGHT,
  });
  const keys = [...replica.store.keys(), ...replica.tombstoneKeys()];
  progress.keysTotal = keys.length;
  const owners: string[] = [];
  const before: string[] = [];
  const waits: Promise<void>[] = [];
  for (const key of keys) {
    if (!deps.stillCurrent()) {
      await sender.finish();
      return false;
    }
    progress.keysScanned++;
    owners.length = 0;
    before.length = 0;
    ownersForWrite(next.ring, key, owners);
    if (previous !== undefined) ownersForWrite(previous.ring, key, before);
    // A view of the store's bytes, encoded by every add below before anything awaits.
    let entry: ReplicaEntry | undefined;
    for (const id of owners) {
      if (id === selfId || before.includes(id)) continue;
      entry ??= replica.view(key);
      if (entry === undefined) break;
      const full = sender.add({ to: id }, entry);
      if (full !== undefined) waits.push(full);
    }
    if (waits.length > 0) {
      await Promise.all(waits);
      waits.length = 0;
    }
  }
  await sender.finish();
  if (!deps.stillCurrent()) return false;
  progress.finishedAt = deps.now();
  return true;
}
