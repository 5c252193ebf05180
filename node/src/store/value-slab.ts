/**
 * Value memory: a slab allocator over 1 MiB pages, so a million small values are a few
 * hundred Buffers instead of a million objects.
 *
 * A value up to MAX_SLAB_CHUNK bytes gets a chunk of its size class (multiples of 16 up to
 * 512 B, then steps of 1/8) inside a page of that class; its location is one number,
 * `page * PAGE_BYTES + offset`. Free chunks are threaded through a free list stored in the
 * chunks themselves (4 bytes at their start), so freeing allocates nothing. A page whose last
 * chunk is freed is released. Larger values get a Buffer of their own (location BIG).
 */
export const PAGE_BYTES = 1 << 20;
export const MAX_SLAB_CHUNK = 64 * 1024;
/** Location of a value held in its own Buffer. */
export const BIG = -1;
/** Location of an empty value (no memory). */
export const EMPTY = -2;

const END = -1;

/** The page of a slab location (>= 0). */
export function pageOf(location: number): number {
  return Math.floor(location / PAGE_BYTES);
}

/** The byte offset of a slab location (>= 0) in its page. */
export function offsetOf(location: number): number {
  return location % PAGE_BYTES;
}

/** The location of `offset` in `page`. */
export function locationOf(page: number, offset: number): number {
  return page * PAGE_BYTES + offset;
}

/** The chunk size that holds `length` bytes: the byte cost the store charges for a slab value. */
export function chunkSize(length: number): number {
  if (length === 0) return 0;
  if (length > MAX_SLAB_CHUNK) return length;
  if (length <= 512) return (length + 15) & ~15;
  // Steps of 1/8 of the power of two below: at most 12.5% rounding.
  const step = 2 ** (Math.floor(Math.log2(length - 1)) - 3);
  return Math.ceil(length / step) * step;
}

export class ValueSlab {
  private pages: (Buffer | null)[] = [];
  /**
   * Each page's ArrayBuffer (the page Buffer's own, at offset 0): `Buffer#buffer` is an
   * accessor that costs more than building the view, so reads take it from here.
   */
  private pageMemory: (ArrayBuffer | null)[] = [];
  private pageChunk = new Int32Array(64);
  private pageFreeHead = new Int32Array(64);
  private pageBump = new Int32Array(64);
  private pageLive = new Int32Array(64);
  private pageListed = new Uint8Array(64);
  private readonly releasedPages: number[] = [];
  /** Per chunk size: pages that may have room (a page is listed at most once). */
  private readonly pagesWithRoom = new Map<number, number[]>();
  /** Bytes held in pages (what the process pays for slab values). */
  pageBytes = 0;

  /** Copies `value` into a chunk and returns its location (EMPTY for a zero-length value). */
  store(value: Uint8Array): number {
    const length = value.length;
    if (length === 0) return EMPTY;
    const size = chunkSize(length);
    const page = this.pageWithRoom(size);
    let offset = this.pageFreeHead[page];
    const buf = this.pages[page] as Buffer;
    if (offset !== END) this.pageFreeHead[page] = buf.readInt32LE(offset);
    else {
      offset = this.pageBump[page];
      this.pageBump[page] += size;
    }
    this.pageLive[page]++;
    buf.set(value, offset);
    return page * PAGE_BYTES + offset;
  }

  /**
   * Copies `value` over the chunk at `offset` in `page`, which must be of `value`'s size class
   * (chunkSize(value.length) equal to the chunk's): an overwrite of the same size keeps its chunk.
   */
  overwrite(page: number, offset: number, value: Uint8Array): void {
    (this.pages[page] as Buffer).set(value, offset);
  }

  /**
   * A view of `length` bytes at `offset` in `page` (see pageOf, offsetOf); valid until that
   * chunk is freed. A plain Uint8Array: constructing one costs a fraction of Buffer#subarray on
   * the read hot path. Integer arguments, so the read path does no arithmetic on doubles.
   */
  view(page: number, offset: number, length: number): Uint8Array {
    return new Uint8Array(this.pageMemory[page] as ArrayBuffer, offset, length);
  }

  /** The page's memory, for a caller that reads a chunk in place (see Store#locate). */
  page(page: number): Buffer {
    return this.pages[page] as Buffer;
  }

  free(location: number): void {
    if (location < 0) return;
    const page = Math.floor(location / PAGE_BYTES);
    const offset = location - page * PAGE_BYTES;
    const buf = this.pages[page] as Buffer;
    if (--this.pageLive[page] === 0) {
      this.releasePage(page);
      return;
    }
    buf.writeInt32LE(this.pageFreeHead[page], offset);
    this.pageFreeHead[page] = offset;
    this.listPage(page);
  }

  clear(): void {
    this.pages = [];
    this.pageMemory = [];
    this.releasedPages.length = 0;
    this.pagesWithRoom.clear();
    this.pageListed.fill(0);
    this.pageBytes = 0;
  }

  private pageWithRoom(size: number): number {
    let list = this.pagesWithRoom.get(size);
    if (list === undefined) {
      list = [];
      this.pagesWithRoom.set(size, list);
    }
    while (list.length > 0) {
      const page = list[list.length - 1];
      // Entries go stale when a page fills up, is released, or is reused for another size.
      const ofThisSize = this.pages[page] !== null && this.pageChunk[page] === size;
      if (ofThisSize && this.hasRoom(page)) return page;
      list.pop();
      if (ofThisSize) this.pageListed[page] = 0;
    }
    const page = this.newPage(size);
    list.push(page);
    this.pageListed[page] = 1;
    return page;
  }

  private hasRoom(page: number): boolean {
    return this.pageFreeHead[page] !== END || this.pageBump[page] + this.pageChunk[page] <= PAGE_BYTES;
  }

  private listPage(page: number): void {
    if (this.pageListed[page] === 1) return;
    this.pageListed[page] = 1;
    (this.pagesWithRoom.get(this.pageChunk[page]) as number[]).push(page);
  }

  private newPage(size: number): number {
    const page = this.releasedPages.length > 0 ? (this.releasedPages.pop() as number) : this.pages.length;
    if (page === this.pages.length) {
      this.pages.push(null);
      this.pageMemory.push(null);
    }
    this.ensure(page);
    // allocUnsafeSlow: a page of its own (not a slice of Node's pool), so its offset is 0.
    const memory = Buffer.allocUnsafeSlow(PAGE_BYTES);
    this.pages[page] = memory;
    this.pageMemory[page] = memory.buffer as ArrayBuffer;
    this.pageChunk[page] = size;
    this.pageFreeHead[page] = END;
    this.pageBump[page] = 0;
    this.pageLive[page] = 0;
    this.pageBytes += PAGE_BYTES;
    return page;
  }

  private releasePage(page: number): void {
    this.pages[page] = null;
    this.pageMemory[page] = null;
    this.pageBytes -= PAGE_BYTES;
    // Its entry in the size's list goes stale and is dropped when reached.
    this.pageListed[page] = 0;
    this.pageChunk[page] = 0;
    this.releasedPages.push(page);
  }

  private ensure(page: number): void {
    if (page < this.pageChunk.length) return;
    const n = this.pageChunk.length * 2;
    this.pageChunk = growI32(this.pageChunk, n);
    this.pageFreeHead = growI32(this.pageFreeHead, n);
    this.pageBump = growI32(this.pageBump, n);
    this.pageLive = growI32(this.pageLive, n);
    const listed = new Uint8Array(n);
    listed.set(this.pageListed);
    this.pageListed = listed;
  }
}

function growI32(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
