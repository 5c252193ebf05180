/**
 * Interned content types: each entry keeps a 16-bit id instead of a string; ids are
 * reference-counted so a table of live types never fills up with types no entry uses.
 */
import { StoreError } from './types.js';

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
export const MAX_CONTENT_TYPES = 65535;
export const MAX_CONTENT_TYPE_LENGTH = 255;
/** What node:http accepts in a header value (RFC 9110 field-value, obs-text included). */
const HEADER_TEXT = /^[\t\x20-\x7e\x80-\xff]*$/;

export class ContentTypes {
  private readonly ids = new Map<string, number>();
  private names: string[] = [DEFAULT_CONTENT_TYPE];
  private refs: number[] = [Infinity]; // id 0, the default, is never released
  private readonly freeIds: number[] = [];

  constructor() {
    this.ids.set(DEFAULT_CONTENT_TYPE, 0);
  }

  /** The id `name` would get, without taking a reference; throws if it cannot be interned. */
  check(name: string): void {
    if (name === DEFAULT_CONTENT_TYPE) return; // most writes: no table lookup
    checkContentTypeText(name);
    if (!this.ids.has(name) && this.freeIds.length === 0 && this.names.length >= MAX_CONTENT_TYPES) {
      throw new StoreError(
        'INVALID_OPTION',
        `too many distinct content types in use (limit ${MAX_CONTENT_TYPES}); reuse an existing one`,
      );
    }
  }

  /** Takes a reference to `name` (call `check` first) and returns its id. */
  acquire(name: string): number {
    if (name === DEFAULT_CONTENT_TYPE) return 0; // never released, so never counted
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.freeIds.length > 0 ? (this.freeIds.pop() as number) : this.names.length;
      this.ids.set(name, id);
      this.names[id] = name;
      this.refs[id] = 0;
    }
    this.refs[id]++;
    return id;
  }

  release(id: number): void {
    if (id === 0) return;
    if (--this.refs[id] === 0) {
      this.ids.delete(this.names[id]);
      this.freeIds.push(id);
    }
  }

  name(id: number): string {
    return this.names[id];
  }

  clear(): void {
    this.ids.clear();
    this.ids.set(DEFAULT_CONTENT_TYPE, 0);
    this.names = [DEFAULT_CONTENT_TYPE];
    this.refs = [Infinity];
    this.freeIds.length = 0;
  }
}

/** Whether `name` can be stored and sent back as a Content-Type header (its length and characters). */
export function isContentTypeText(name: string): boolean {
  return name.length <= MAX_CONTENT_TYPE_LENGTH && HEADER_TEXT.test(name);
}

/** Throws unless `name` can be stored and sent back as a Content-Type header. */
export function checkContentTypeText(name: string): void {
  if (name.length > MAX_CONTENT_TYPE_LENGTH) {
    throw new StoreError(
      'INVALID_OPTION',
      `contentType must be at most ${MAX_CONTENT_TYPE_LENGTH} characters, got ${name.length}`,
    );
  }
  if (!HEADER_TEXT.test(name)) {
    // It goes back out as a Content-Type header: a character no header may carry would make
    // every later read of the entry fail.
    throw new StoreError(
      'INVALID_OPTION',
      `contentType must be header text (tab, space, visible ASCII or Latin-1), got ${JSON.stringify(name)}`,
    );
  }
}
