import { entryKeySegment } from '../../src/http/entries-handler.js';

test('the replica read handler takes GET and HEAD of one key segment; express answers the rest', () => {
  expect(entryKeySegment('GET', '/v1/internal/entries/k%2Fx')).toBe('k%2Fx');
  expect(entryKeySegment('HEAD', '/v1/internal/entries/k?x=1')).toBe('k');
  expect(entryKeySegment('PUT', '/v1/internal/entries/k')).toBeUndefined();
  expect(entryKeySegment('GET', '/v1/internal/entries/')).toBeUndefined();
  expect(entryKeySegment('GET', '/v1/internal/entries/a/b')).toBeUndefined();
  expect(entryKeySegment('GET', '/v1/internal/entriesX')).toBeUndefined();
  expect(entryKeySegment('GET', '/v1/internal/apply')).toBeUndefined();
});
