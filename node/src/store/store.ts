/**
 * The store: string keys to byte values, bounded by counted bytes, with TTLs.
 *
 * Per-entry state lives in typed arrays indexed by slot; a Map gives key -> slot; values live
 * in a slab (value-slab.ts). Ordering and eviction are the policy's (policy/), expiry the
 * heap's (expiry-heap.ts). Every call is synchronous, so a check-then-set by a caller in one
 * turn of the event loop is atomic.
 */
import { ContentTypes, DEFAULT_CONTENT_TYPE } from './content-types.js';
import { ExpiryHeap } from './expiry-heap.js';
import { hashKey, utf8Length } from './hash.js';
import { HybridLogicalClock } from './hlc.js';
import { ReadBuffer } from './read-buffer.js';
import { resolveStoreOptions, type ResolvedStoreOptions } from './options.js';
import { createPolicy, type EvictionPolicy } from './policy/index.js';
import type {
  CacheStore,
  EntryView,
  SetOptions,
  SetOutcome,
  StoreOptions,
  StoreStats,
  ValueLocation,
} from './types.js';
import { StoreError } from './types.js';
import {
  BIG,
  chunkSize,
  EMPTY,
  locationOf,
  MAX_SLAB_CHUNK,
  offsetOf,
  pageOf,
  ValueSlab,
} from './value-slab.js';

/**
 * Bytes charged per entry on top of its key and value: the Map entry, the key string's
 * header, the per-slot typed arrays of the store and the policy, and the expiry heap.
 * Measured by bench:throughput: resident bytes per entry minus key and value chunk (docs/store.md).
 */
export const ENTRY_OVERHEAD_BYTES = 112;

const NONE = -1;
const EMPTY_VALUE = new Uint8Array(0);

/**
 * A slot's record: the fields a read touches, side by side in 32 bytes, so a hit costs one
 * cache line where separate arrays cost one each (on a large store, each a likely miss). Two
 * views share the record memory: `records` (doubles) holds the expiry and the version at
 * double index slot * RECORD + EXPIRES_AT / VERSION; `fields` (int32s) holds the value's page,
 * offset, length and content-type id at int32 index slot * FIELDS + PAGE / OFFSET / LENGTH /
 * TYPE_ID. The read path takes the view's arguments as int32s straight from the record: no
 * division and no double-to-integer conversion, so a get is fewer instructions, and on a large
 * store a get's time follows its instruction count (docs/store.md, "Where a get's time goes").
 */
const RECORD = 4;
const EXPIRES_AT = 0;
const VERSION = 1;
const FIELDS = 8;
/** The value's slab page, or BIG (its own Buffer) or EMPTY. */
const PAGE = 4;
const OFFSET = 5;
const LENGTH = 6;
const TYPE_ID = 7;

export class Store implements CacheStore {
  readonly options: Readonly<ResolvedStoreOptions>;
  readonly clock: HybridLogicalClock;
  private readonly index = new Map<string, number>();
  private keyOfSlot: (string | undefined)[] = [];
  /** The fields a read needs, side by side per slot (see RECORD): doubles and int32s over one buffer. */
  private records: Float64Array;
  private fields: Int32Array;
  private bigValues: (Buffer | undefined)[] = [];
  private freeSlots: number[] = [];
  private nextSlot = 0;
  private readonly slab = new ValueSlab();
  private readonly types = new ContentTypes();
  private readonly heap: ExpiryHeap;
  private readonly policy: EvictionPolicy;
  /** Hits not yet applied to the policy; drained before anything reads the policy's order. */
  private readonly reads: ReadBuffer;
  private readonly now: () => number;
  private readonly location: ValueLocation = { bytes: EMPTY_VALUE, offset: 0, length: 0 };
  private counted = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private expirations = 0;

  constructor(options: StoreOptions) {
    this.options = resolveStoreOptions(options);
    this.now = this.options.now;
    this.clock = new HybridLogicalClock(this.now);
    const initial = Math.min(this.options.expectedEntries, 1 << 20);
    this.records = new Float64Array(initial * RECORD);
    this.fields = new Int32Array(this.records.buffer);
    this.heap = new ExpiryHeap((slot) => this.records[slot * RECORD + EXPIRES_AT]);
    this.policy = createPolicy(this.options.policy, {
      capacity: this.options.maxMemory,
      onEvict: (slot) => this.evicted(slot),
      expectedEntries: this.options.expectedEntries,
      random: this.options.random,
    });
    const policy = this.policy;
    this.reads = new ReadBuffer((slots, count) => policy.recordHits(slots, count));
  }

  get size(): number {
    return this.index.size;
  }

  get bytes(): number {
    return this.counted;
  }

  /** The bytes an entry is charged: what the bound counts. */
  static entryBytes(keyBytes: number, valueLength: number): number {
    return keyBytes + chunkSize(valueLength) + ENTRY_OVERHEAD_BYTES;
  }

  slotOf(key: string): number {
    const slot = this.index.get(key);
    if (slot === undefined || this.expireIfDue(slot)) {
      this.misses++;
      // The hits before it first: a miss counts in the sketch and the window tuner, so taken
      // out of order it could halve the sketch, or score the shadows, before hits that came
      // earlier. In order, the store decides exactly as the policy fed one request at a time.
      this.reads.drain();
      this.policy.recordMiss(hashKey(key));
      return NONE;
    }
    this.hits++;
    this.reads.record(slot);
    return slot;
  }

  valueOf(slot: number): Uint8Array {
    const at = slot * FIELDS;
    const page = this.fields[at + PAGE];
    if (page >= 0) return this.slab.view(page, this.fields[at + OFFSET], this.fields[at + LENGTH]);
    if (page === BIG) return this.bigValues[slot] as Buffer;
    return EMPTY_VALUE;
  }

  /**
   * Where the value of `slot` sits, with no copy and no allocation: its bytes are
   * `bytes[offset, offset + length)`. The answer is one object the store reuses: it is
   * overwritten by the next call of `locate` and its bytes are valid until the next call that
   * changes the store. For a caller that copies the value on at once (into a reply, a frame).
   */
  locate(slot: number): Readonly<ValueLocation> {
    const at = slot * FIELDS;
    const page = this.fields[at + PAGE];
    const location = this.location;
    if (page >= 0) {
      location.bytes = this.slab.page(page);
      location.offset = this.fields[at + OFFSET];
      location.length = this.fields[at + LENGTH];
    } else {
      const value = page === BIG ? (this.bigValues[slot] as Buffer) : EMPTY_VALUE;
      location.bytes = value;
      location.offset = 0;
      location.length = value.length;
    }
    return location;
  }

  contentTypeOf(slot: number): string {
    return this.types.name(this.fields[slot * FIELDS + TYPE_ID]);
  }

  versionOf(slot: number): number {
    return this.records[slot * RECORD + VERSION];
  }

  expiresAtOf(slot: number): number {
    return this.records[slot * RECORD + EXPIRES_AT];
  }

  get(key: string): EntryView | undefined {
    const slot = this.slotOf(key);
    return slot === NONE ? undefined : this.view(slot);
  }

  peek(key: string): EntryView | undefined {
    const slot = this.index.get(key);
    if (slot === undefined || this.isExpired(slot)) return undefined;
    return this.view(slot);
  }

  peekVersion(key: string): number | undefined {
    const slot = this.index.get(key);
    return slot === undefined || this.isExpired(slot) ? undefined : this.versionOf(slot);
  }

  has(key: string): boolean {
    const slot = this.index.get(key);
    return slot !== undefined && !this.isExpired(slot);
  }

  set(key: string, value: Uint8Array, options?: SetOptions): SetOutcome {
    const keyBytes = this.checkKey(key);
    if (!(value instanceof Uint8Array)) {
      throw new StoreError('INVALID_OPTION', 'value must be a Uint8Array or Buffer');
    }
    if (value.length > this.options.maxValueBytes) {
      throw new StoreError(
        'VALUE_TOO_LARGE',
        `value of ${value.length} bytes exceeds maxValueBytes (${this.options.maxValueBytes})`,
      );
    }
    const weight = Store.entryBytes(keyBytes, value.length);
    if (weight > this.options.maxMemory) {
      throw new StoreError(
        'VALUE_TOO_LARGE',
        `entry of ${weight} counted bytes can never fit in maxMemory (${this.options.maxMemory})`,
      );
    }
    const expiresAt = this.expiryFrom(options);
    const contentType = options?.contentType ?? DEFAULT_CONTENT_TYPE;
    this.types.check(contentType);
    const version = options?.version ?? this.clock.now();
    if (!Number.isSafeInteger(version) || version < 0) {
      throw new StoreError('INVALID_OPTION', `version must be a non-negative safe integer, got ${version}`);
    }
    if (options?.version !== undefined) this.clock.observe(version);

    // Every check is done: from here on nothing throws.
    let slot = this.index.get(key);
    if (slot !== undefined && this.valueLength(slot) === value.length && !this.isExpired(slot)) {
      // An overwrite of the same counted size (same key, same length) crosses no bound and
      // evicts nothing, so, like a hit, its policy work waits in the read buffer, in order with
      // the hits around it.
      this.holdValue(slot, value, this.types.acquire(contentType), true);
      this.records[slot * RECORD + VERSION] = version;
      this.setExpiry(slot, expiresAt);
      this.reads.recordUpdate(slot);
      return 'replaced';
    }
    this.reads.drain();
    if (slot !== undefined && this.expireIfDue(slot)) slot = undefined;
    // Hashed again on an overwrite: a short key hashes faster than a per-slot array of hashes
    // is read on a large store (one more likely cache miss).
    const hash = hashKey(key);
    const outcome: SetOutcome = slot === undefined ? 'created' : 'replaced';
    if (slot === undefined) {
      slot = this.allocateSlot();
      this.index.set(key, slot);
      this.keyOfSlot[slot] = key;
    } else {
      this.counted -= Store.entryBytes(keyBytes, this.valueLength(slot)); // the same key, its old value
    }
    this.holdValue(slot, value, this.types.acquire(contentType), outcome === 'replaced');
    this.records[slot * RECORD + VERSION] = version;
    this.counted += weight;
    this.setExpiry(slot, expiresAt);
    if (outcome === 'created') this.policy.add(slot, hash, weight);
    else this.policy.update(slot, hash, weight);
    return outcome;
  }

  delete(key: string): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.reads.drain();
    const live = !this.isExpired(slot);
    if (!live) {
      this.dropExpired(slot);
      return false;
    }
    this.policy.remove(slot);
    this.freeSlot(slot);
    return true;
  }

  /** Drops `key` now if its TTL has ended (onExpire is told), as a lookup would; true when it did. */
  expireKey(key: string): boolean {
    const slot = this.index.get(key);
    return slot !== undefined && this.expireIfDue(slot);
  }

  expire(): number {
    const now = this.now();
    this.reads.drain();
    let count = 0;
    for (let slot = this.heap.popDue(now); slot !== NONE; slot = this.heap.popDue(now)) {
      this.dropExpired(slot);
      count++;
    }
    return count;
  }

  /** Heap nodes examined by `expire` so far (tests check it follows what expires). */
  get expiryWork(): number {
    return this.heap.visited;
  }

  clear(): void {
    this.reads.drain();
    this.index.clear();
    this.keyOfSlot = [];
    this.bigValues = [];
    this.freeSlots = [];
    this.nextSlot = 0;
    this.slab.clear();
    this.types.clear();
    this.heap.clear();
    this.policy.clear();
    this.counted = 0;
  }

  *keys(): IterableIterator<string> {
    for (const [key, slot] of this.index) {
      if (!this.isExpired(slot)) yield key;
    }
  }

  stats(): StoreStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      expirations: this.expirations,
      bytes: this.counted,
      keys: this.index.size,
      maxMemory: this.options.maxMemory,
      windowShare: this.policy.windowShare,
    };
  }

  private view(slot: number): EntryView {
    return {
      value: this.valueOf(slot),
      contentType: this.contentTypeOf(slot),
      version: this.versionOf(slot),
      expiresAt: this.expiresAtOf(slot),
    };
  }

  private checkKey(key: string): number {
    if (typeof key !== 'string' || key.length === 0) {
      throw new StoreError('INVALID_KEY', 'key must be a non-empty string');
    }
    const bytes = utf8Length(key);
    if (bytes > this.options.maxKeyBytes) {
      throw new StoreError(
        'KEY_TOO_LONG',
        `key of ${bytes} bytes exceeds maxKeyBytes (${this.options.maxKeyBytes})`,
      );
    }
    return bytes;
  }

  private expiryFrom(options: SetOptions | undefined): number {
    if (options === undefined) return 0;
    const { ttlMs, expiresAt } = options;
    if (ttlMs !== undefined && expiresAt !== undefined) {
      throw new StoreError('INVALID_TTL', 'give ttlMs or expiresAt, not both');
    }
    if (ttlMs !== undefined) {
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
        throw new StoreError('INVALID_TTL', `ttlMs must be a positive integer, got ${ttlMs}`);
      }
      return this.now() + ttlMs;
    }
    if (expiresAt !== undefined) {
      if (!Number.isSafeInteger(expiresAt) || expiresAt < 0) {
        throw new StoreError('INVALID_TTL', `expiresAt must be a non-negative integer, got ${expiresAt}`);
      }
      return expiresAt;
    }
    return 0;
  }

  private isExpired(slot: number): boolean {
    const at = this.records[slot * RECORD + EXPIRES_AT];
    return at !== 0 && at <= this.now();
  }

  /** Removes `slot` if its time has come; true when it did. */
  private expireIfDue(slot: number): boolean {
    if (!this.isExpired(slot)) return false;
    this.reads.drain();
    this.dropExpired(slot);
    return true;
  }

  /** Removes an entry whose TTL ended, telling onExpire first. */
  private dropExpired(slot: number): void {
    const onExpire = this.options.onExpire;
    if (onExpire !== undefined)
      onExpire(this.keyOfSlot[slot] as string, this.versionOf(slot), this.expiresAtOf(slot));
    this.policy.remove(slot);
    this.freeSlot(slot);
    this.expirations++;
  }

  private setExpiry(slot: number, expiresAt: number): void {
    this.leaveHeap(slot);
    this.records[slot * RECORD + EXPIRES_AT] = expiresAt;
    if (expiresAt !== 0) this.heap.push(slot);
  }

  /**
   * Takes `slot` out of the expiry heap. A slot is in the heap exactly when its expiry is not 0,
   * and the record is at hand: the heap's own position array is one more likely cache miss.
   */
  private leaveHeap(slot: number): void {
    if (this.records[slot * RECORD + EXPIRES_AT] !== 0) this.heap.remove(slot);
  }

  /** Stores `value` as the slot's value; `replacing`: the slot holds one to release first. */
  private holdValue(slot: number, value: Uint8Array, typeId: number, replacing: boolean): void {
    const at = slot * FIELDS;
    if (replacing) {
      const page = this.fields[at + PAGE];
      // The same size class: the new bytes go in the old chunk, with no trip through the slab's lists.
      if (page >= 0 && value.length > 0 && chunkSize(value.length) === chunkSize(this.fields[at + LENGTH])) {
        this.slab.overwrite(page, this.fields[at + OFFSET], value);
        this.fields[at + LENGTH] = value.length;
        this.types.release(this.fields[at + TYPE_ID]);
        this.fields[at + TYPE_ID] = typeId;
        return;
      }
      this.releaseValue(slot);
    }
    if (value.length > MAX_SLAB_CHUNK) {
      // A big value's length can pass 2^31: it is the Buffer's own, the record keeps none.
      this.fields[at + PAGE] = BIG;
      this.fields[at + OFFSET] = 0;
      this.fields[at + LENGTH] = 0;
      this.bigValues[slot] = Buffer.from(value);
    } else {
      const location = this.slab.store(value); // EMPTY for a zero-length value
      this.fields[at + PAGE] = location === EMPTY ? EMPTY : pageOf(location);
      this.fields[at + OFFSET] = location === EMPTY ? 0 : offsetOf(location);
      this.fields[at + LENGTH] = value.length;
    }
    this.fields[at + TYPE_ID] = typeId;
  }

  private releaseValue(slot: number): void {
    const at = slot * FIELDS;
    const page = this.fields[at + PAGE];
    if (page === BIG) this.bigValues[slot] = undefined;
    else if (page >= 0) this.slab.free(locationOf(page, this.fields[at + OFFSET]));
    this.fields[at + PAGE] = EMPTY;
    this.types.release(this.fields[at + TYPE_ID]);
  }

  /** The policy evicted `slot` (it is already out of the policy). */
  private evicted(slot: number): void {
    this.evictions++;
    this.freeSlot(slot);
  }

  private freeSlot(slot: number): void {
    const key = this.keyOfSlot[slot] as string;
    // The weight is derived, not stored: 8 bytes an entry less, and a free is rare beside a get.
    this.counted -= Store.entryBytes(utf8Length(key), this.valueLength(slot));
    this.index.delete(key);
    this.keyOfSlot[slot] = undefined;
    this.releaseValue(slot);
    this.leaveHeap(slot);
    this.records[slot * RECORD + EXPIRES_AT] = 0;
    this.freeSlots.push(slot);
  }

  /** The held value's length (a big value keeps its own Buffer; its record says 0). */
  private valueLength(slot: number): number {
    const at = slot * FIELDS;
    return this.fields[at + PAGE] === BIG
      ? (this.bigValues[slot] as Buffer).length
      : this.fields[at + LENGTH];
  }

  private allocateSlot(): number {
    if (this.freeSlots.length > 0) return this.freeSlots.pop() as number;
    const slot = this.nextSlot++;
    const capacity = this.records.length / RECORD;
    if (slot >= capacity) this.growSlots(capacity * 2);
    return slot;
  }

  private growSlots(n: number): void {
    this.records = grow(this.records, new Float64Array(n * RECORD));
    this.fields = new Int32Array(this.records.buffer);
  }
}

function grow<T extends { set(a: T): void }>(from: T, to: T): T {
  to.set(from);
  return to;
}
