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

/**
 * The order copies are merged in: the higher version wins. Two coordinators can stamp the same
 * version (their clocks read the same millisecond and counter), so equal versions are settled
 * by the contents, the same way on every node (as Cassandra does): a tombstone wins, then the
 * greater value bytes, content type and expiry. Positive when `a` supersedes `b`.
 */
export function compareEntries(a: ReplicaEntry, b: ReplicaEntry): number {
  if (a.version !== b.version) return a.version > b.version ? 1 : -1;
  if (a.tombstone !== b.tombstone) return a.tombstone ? 1 : -1;
  return (
    Buffer.compare(a.value, b.value) ||
    (a.contentType === b.contentType ? 0 : a.contentType > b.contentType ? 1 : -1) ||
    Math.sign(a.expiresAt - b.expiresAt)
  );
}

/**
 * `entry` as of `now`: past its expiry it is a tombstone at its version (a hint or a peer's
 * copy may be read after the value expired; it must not be served, and it still supersedes the
 * older copies it overwrote).
 */
export function asOf(entry: ReplicaEntry, now: number): ReplicaEntry;
export function asOf(entry: ReplicaEntry | undefined, now: number): ReplicaEntry | undefined;
export function asOf(entry: ReplicaEntry | undefined, now: number): ReplicaEntry | undefined {
  if (entry === undefined || entry.tombstone || entry.expiresAt === 0 || entry.expiresAt > now) return entry;
  return { ...entry, tombstone: true, contentType: '', value: new Uint8Array(0) };
}

/** Whether `entry` wins over `current` (anything wins over no copy). */
export function supersedes(entry: ReplicaEntry, current: ReplicaEntry | undefined): boolean {
  return current === undefined || compareEntries(entry, current) > 0;
}

/** A key that went away at `version`: deleted, or expired at `expiresAt` (0 for a delete). */
interface Tombstone {
  version: number;
  expiresAt: number;
  /** When it may be forgotten: the grace after the key went away. */
  until: number;
}

/** Tombstones held at most when the caller does not say (a node passes --max-tombstones); ~190 bytes each. */
export const DEFAULT_MAX_TOMBSTONES = 100_000;

export class Replica {
  private readonly tombstones = new Map<string, Tombstone>();
  /** Tombstones forgotten before their grace ended, at the maxTombstones bound. */
  tombstonesDropped = 0;

  constructor(
    readonly store: Store,
    private readonly tombstoneGraceMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxTombstones = DEFAULT_MAX_TOMBSTONES,
  ) {}

  get tombstoneCount(): number {
    return this.tombstones.size;
  }

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
    this.store.expireKey(key); // an entry past its TTL is a tombstone at its version
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
      expiresAt: tombstone.expiresAt,
      contentType: '',
      value: new Uint8Array(0),
      tombstone: true,
    };
  }

  /** Applies a copy from a peer if it is newer than what is here; true when it changed something. */
  apply(entry: ReplicaEntry): boolean {
    const here = this.versionOf(entry.key);
    const stale =
      here !== undefined &&
      (here > entry.version || (here === entry.version && !supersedes(entry, this.view(entry.key))));
    if (stale) {
      this.store.clock.observe(entry.version);
      return false;
    }
    if (entry.tombstone || (entry.expiresAt !== 0 && entry.expiresAt <= this.now())) {
      // A newer copy that has already expired (a hint or repair that arrived late) still
      // supersedes what is here: the key is gone as of its version. Dropping it instead would
      // leave the older value here to be read, and repaired back onto the other owners.
      this.store.clock.observe(entry.version);
      this.store.delete(entry.key);
      this.remember(entry.key, entry.version, entry.expiresAt);
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
    this.remember(key, version, 0);
    return { key, version, expiresAt: 0, contentType: '', value: new Uint8Array(0), tombstone: true };
  }

  /**
   * The store dropped an entry whose TTL ended (its onExpire): remember its version, or an
   * owner that missed this write could copy its older value back here once it answers again.
   */
  expired(key: string, version: number, expiresAt: number): void {
    this.remember(key, version, expiresAt);
  }

  /**
   * Keeps a tombstone until the grace after the key went away (the delete's version, or the
   * expiry), never after its arrival: a tombstone one node pruned and a peer sends back must not
   * start a new grace period, or two nodes could hand it to each other forever. Past
   * maxTombstones the oldest is forgotten (counted).
   */
  private remember(key: string, version: number, expiresAt: number): void {
    const until = Math.max(versionMillis(version), expiresAt) + this.tombstoneGraceMs;
    this.tombstones.delete(key); // re-inserted last: the map stays in order of arrival
    if (until <= this.now()) return;
    if (this.tombstones.size >= this.maxTombstones) {
      const oldest = this.tombstones.keys().next().value as string;
      this.tombstones.delete(oldest);
      this.tombstonesDropped++;
    }
    this.tombstones.set(key, { version, expiresAt, until });
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
    this.store.expireKey(key); // an entry past its TTL is a tombstone at its version
    return this.store.peekVersion(key) ?? this.tombstones.get(key)?.version;
  }
}
