import { Store, StoreError } from '../../src/store/index.js';

function errorOf(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StoreError) return err;
    throw err;
  }
  throw new Error('expected a StoreError');
}

describe('store options', () => {
  it.each([
    [{ maxMemory: 0 }, 'maxMemory must be a positive integer, got 0'],
    [{ maxMemory: -1 }, 'maxMemory must be a positive integer, got -1'],
    [{ maxMemory: 1.5 }, 'maxMemory must be a positive integer, got 1.5'],
    [{ maxMemory: '64mb' }, 'maxMemory must be a positive integer, got "64mb"'],
    [{}, 'maxMemory must be a positive integer, got undefined'],
    [{ maxMemory: 100, maxValueBytes: 0 }, 'maxValueBytes must be a positive integer, got 0'],
    [{ maxMemory: 100, maxKeyBytes: NaN }, 'maxKeyBytes must be a positive integer, got NaN'],
    [{ maxMemory: 100, policy: 'lfu' }, 'policy must be one of lru, wtinylfu, got "lfu"'],
    [{ maxMemory: 100, onExpire: 'log' }, 'onExpire must be a function (key, version, expiresAt)'],
  ])('%j is refused: %s', (options, message) => {
    const err = errorOf(() => new Store(options as never));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe(message);
  });
});

describe('bad writes change nothing', () => {
  const store = () => {
    const s = new Store({ maxMemory: 4096, maxValueBytes: 1000, policy: 'lru' });
    s.set('kept', Buffer.from('original'));
    return s;
  };

  it('refuses a value over maxValueBytes', () => {
    const s = store();
    const err = errorOf(() => s.set('kept', Buffer.alloc(1001)));
    expect(err.code).toBe('VALUE_TOO_LARGE');
    expect(err.message).toBe('value of 1001 bytes exceeds maxValueBytes (1000)');
    expect(Buffer.from(s.get('kept')!.value).toString()).toBe('original');
  });

  it('refuses an entry that can never fit in maxMemory', () => {
    const s = new Store({ maxMemory: 500, policy: 'lru' });
    const err = errorOf(() => s.set('k', Buffer.alloc(450)));
    expect(err.code).toBe('VALUE_TOO_LARGE');
    expect(err.message).toBe('entry of 577 counted bytes can never fit in maxMemory (500)');
    expect(s.size).toBe(0);
  });

  it('refuses empty and over-long keys, counting UTF-8 bytes', () => {
    const s = store();
    expect(errorOf(() => s.set('', Buffer.from('x'))).message).toBe('key must be a non-empty string');
    const err = errorOf(() => s.set('é'.repeat(126), Buffer.from('x')));
    expect(err.code).toBe('KEY_TOO_LONG');
    expect(err.message).toBe('key of 252 bytes exceeds maxKeyBytes (250)');
    expect(() => s.set('é'.repeat(125), Buffer.from('x'))).not.toThrow();
  });

  it.each([
    [{ ttlMs: 0 }, 'ttlMs must be a positive integer, got 0'],
    [{ ttlMs: -5 }, 'ttlMs must be a positive integer, got -5'],
    [{ ttlMs: 1.5 }, 'ttlMs must be a positive integer, got 1.5'],
    [{ ttlMs: 5, expiresAt: 10 }, 'give ttlMs or expiresAt, not both'],
  ])('refuses TTL %j', (options, message) => {
    const s = store();
    const err = errorOf(() => s.set('kept', Buffer.from('new'), options));
    expect(err.code).toBe('INVALID_TTL');
    expect(err.message).toBe(message);
    expect(Buffer.from(s.get('kept')!.value).toString()).toBe('original');
    expect(s.get('kept')!.expiresAt).toBe(0);
  });

  it('refuses an over-long content type', () => {
    const s = store();
    const err = errorOf(() => s.set('kept', Buffer.from('new'), { contentType: 'x'.repeat(256) }));
    expect(err.message).toBe('contentType must be at most 255 characters, got 256');
    expect(s.get('kept')!.contentType).toBe('application/octet-stream');
  });

  it.each([
    [
      'text/plain\r\nX-Evil: 1',
      'contentType must be header text (tab, space, visible ASCII or Latin-1), got "text/plain\\r\\nX-Evil: 1"',
    ],
    ['text/€', 'contentType must be header text (tab, space, visible ASCII or Latin-1), got "text/€"'],
  ])('refuses a content type no header can carry: %j', (contentType, message) => {
    const s = store();
    const err = errorOf(() => s.set('kept', Buffer.from('new'), { contentType }));
    expect(err.code).toBe('INVALID_OPTION');
    expect(err.message).toBe(message);
    expect(s.get('kept')!.contentType).toBe('application/octet-stream');
  });

  it('keeps a content type with parameters, tabs and Latin-1 text', () => {
    const s = store();
    s.set('k', Buffer.from('v'), { contentType: 'text/plain;\tcharset=latin1; x="\xe9"' });
    expect(s.get('k')!.contentType).toBe('text/plain;\tcharset=latin1; x="\xe9"');
  });
});
