/**
 * Hinted hand-off: writes meant for an owner that did not answer, kept here until it answers
 * again. Bounded: past `limit` entries, or `maxBytes` bytes of their values (a hint holds a
 * whole value), the oldest hints are dropped (and counted), since a cache may lose a copy but
 * must not run out of memory; anti-entropy repairs what is dropped.
 */
import { supersedes, type ReplicaEntry } from './replica.js';

export class HintStore {
  private readonly byPeer = new Map<string, Map<string, ReplicaEntry>>();
  private count = 0;
  private held = 0;
  dropped = 0;
  delivered = 0;

  constructor(
    private readonly limit: number,
    private readonly maxBytes = Infinity,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Bytes of the values held. */
  get bytes(): number {
    return this.held;
  }

  add(peer: string, entry: ReplicaEntry): void {
    let hints = this.byPeer.get(peer);
    if (hints === undefined) {
      hints = new Map();
      this.byPeer.set(peer, hints);
    }
    const existing = hints.get(entry.key);
    if (existing !== undefined) {
      if (!supersedes(entry, existing)) return;
      hints.delete(entry.key); // its bytes leave with it; the newer one comes in as new
      this.count--;
      this.held -= existing.value.length;
    }
    while (this.count > 0 && (this.count >= this.limit || this.held + entry.value.length > this.maxBytes))
      this.dropOldest();
    hints.set(entry.key, ownMemory(entry));
    this.byPeer.set(peer, hints); // dropping may have emptied and removed the peer's map
    this.count++;
    this.held += entry.value.length;
  }

  peers(): string[] {
    return [...this.byPeer.keys()];
  }

  /** Up to `max` hints for `peer`, still held until `delivered` is called with them. */
  pending(peer: string, max: number): ReplicaEntry[] {
    const hints = this.byPeer.get(peer);
    if (hints === undefined) return [];
    const result: ReplicaEntry[] = [];
    for (const entry of hints.values()) {
      if (result.length >= max) break;
      result.push(entry);
    }
    return result;
  }

  /** The newest hint held for `key`, whichever member it is for. */
  newestFor(key: string): ReplicaEntry | undefined {
    let newest: ReplicaEntry | undefined;
    for (const hints of this.byPeer.values()) {
      const entry = hints.get(key);
      if (entry !== undefined && supersedes(entry, newest)) newest = entry;
    }
    return newest;
  }

  markDelivered(peer: string, entries: readonly ReplicaEntry[]): void {
    const hints = this.byPeer.get(peer);
    if (hints === undefined) return;
    for (const entry of entries) {
      // A newer hint for the key may have arrived meanwhile: keep it.
      if (hints.get(entry.key) === entry) {
        hints.delete(entry.key);
        this.count--;
        this.held -= entry.value.length;
        this.delivered++;
      }
    }
    if (hints.size === 0) this.byPeer.delete(peer);
  }

  private dropOldest(): void {
    for (const [peer, hints] of this.byPeer) {
      const first = hints.entries().next();
      if (first.done) continue;
      const [key, entry] = first.value;
      hints.delete(key);
      if (hints.size === 0) this.byPeer.delete(peer);
      this.count--;
      this.held -= entry.value.length;
      this.dropped++;
      return;
    }
  }
}

/**
 * The entry with a value that holds only its own bytes. A value can be a view into a larger
 * buffer (a batch request's body): held as a hint for as long as an owner is down, it would
 * keep the whole body alive, which the byte bound does not count.
 */
function ownMemory(entry: ReplicaEntry): ReplicaEntry {
  const value = entry.value;
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return entry;
  return { ...entry, value: new Uint8Array(value) };
}
