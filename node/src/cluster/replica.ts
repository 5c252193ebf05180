/**
 * A node's copy of the data as a replica: entries carry their version (a hybrid-logical-clock
 * reading) and the highest version wins, whichever order copies arrive in. Deletes leave
 * tombstones, kept for a grace period longer than any hint or repair can be late, so a stale
 * copy arriving later cannot bring a deleted key back.
 */
import { versionMillis } from '../store/hlc.js';
import type { Store } from '../store/store.js';

export interface ReplicaEntry {
  key: string;
  version: number;
  /** Absolute expiry in ms since the epoch; 0 = never. */
  expiresAt: number;
  contentType: string;
  value: Uint8Array;
  /** A delete: no value, and the version is the delete's. */
  tombstone: boolean;
}

export class Replica {
  private readonly tombstones = new Map<string, { version: number; until: number }>();

  constructor(
    readonly store: Store,
    private readonly tombstoneGraceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The entry as it is here now (live value or tombstone), or undefined; its own copy of the value. */
  read(key: string): ReplicaEntry | undefined {
    const entry = this.view(key);
    // The view is a fresh object: give it its own bytes rather than building a second one
    // (a replicated write reads its entry here).
    if (entry !== undefined && !entry.tombstone) entry.value = Buffer.from(entry.value);
    return entry;
  }

  /**
   * As read, but the value views the store's bytes: valid only until the store changes, for a
   * caller that encodes it at once (EntrySender) rather than copying a whole store twice.
   */
  view(key: string): ReplicaEntry | undefined {
    const entry = this.store.peek(key);
    if (entry !== undefined) {
      return {
        key,
        version: entry.version,
        expiresAt: entry.expiresAt,
        contentType: entry.contentType,
        value: entry.value,
        tombstone: false,
      };
    }
    const tombstone = this.tombstones.get(key);
    if (tombstone === undefined) return undefined;
    return {
      key,
      version: tombstone.version,
      expiresAt: 0,
      contentType: '',
      value: new Uint8Array(0),
      tombstone: true,
    };
  }

  /** Applies a copy from a peer if it is newer than what is here; true when it changed something. */
  apply(entry: ReplicaEntry): boolean {
    const here = this.versionOf(entry.key);
    if (here !== undefined && here >= entry.version) {
      this.store.clock.observe(entry.version);
      return false;
    }
    if (entry.tombstone || (entry.expiresAt !== 0 && entry.expiresAt <= this.now())) {
      // A newer copy that has already expired (a hint or repair that arrived late) still
      // supersedes what is here: the key is gone as of its version. Dropping it instead would
      // leave the older value here to be read, and repaired back onto the other owners.
      this.store.clock.observe(entry.version);
      this.store.delete(entry.key);
      // The grace runs from the delete itself, not from its arrival: a tombstone that one node
      // pruned and a peer sends back must not start a new grace period, or two nodes could
      // hand it to each other forever.
      const until = versionMillis(entry.version) + this.tombstoneGraceMs;
      if (until > this.now()) this.tombstones.set(entry.key, { version: entry.version, until });
      else this.tombstones.delete(entry.key);
      return true;
    }
    this.store.set(entry.key, entry.value, {
      version: entry.version,
      expiresAt: entry.expiresAt,
      contentType: entry.contentType,
    });
    this.tombstones.delete(entry.key);
    return true;
  }

  /** A local delete: a tombstone with a fresh version, to be replicated. */
  delete(key: string): ReplicaEntry {
    const version = this.store.clock.now();
    this.store.delete(key);
    this.tombstones.set(key, { version, until: versionMillis(version) + this.tombstoneGraceMs });
    return { key, version, expiresAt: 0, contentType: '', value: new Uint8Array(0), tombstone: true };
  }

  /** Called after a local write: it supersedes any tombstone. */
  wrote(key: string): void {
    this.tombstones.delete(key);
  }

  /** Drops a key this node no longer owns: value and tombstone, leaving no trace. */
  forget(key: string): void {
    this.store.delete(key);
    this.tombstones.delete(key);
  }

  /** Drops tombstones whose grace period is over; returns how many are left. */
  pruneTombstones(): number {
    const now = this.now();
    for (const [key, { until }] of this.tombstones) if (until <= now) this.tombstones.delete(key);
    return this.tombstones.size;
  }

  tombstoneKeys(): IterableIterator<string> {
    return this.tombstones.keys();
  }

  /** The version held here (live value or tombstone), without copying the value. */
  versionOf(key: string): number | undefined {
    return this.store.peekVersion(key) ?? this.tombstones.get(key)?.version;
  }
}
