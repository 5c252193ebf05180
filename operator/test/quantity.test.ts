import { formatBytes, parseQuantity, quantityBytes } from '../src/quantity.js';

test('parses quantities as the API server does', () => {
  expect(parseQuantity('256Mi')).toBe(256 * 2 ** 20);
  expect(parseQuantity('1Gi')).toBe(2 ** 30);
  expect(parseQuantity('1G')).toBe(1e9);
  expect(parseQuantity('1k')).toBe(1000);
  expect(parseQuantity('1Ki')).toBe(1024);
  expect(parseQuantity('500m')).toBe(0.5);
  expect(parseQuantity('1e3')).toBe(1000);
  expect(parseQuantity('1.5')).toBe(1.5);
  expect(parseQuantity('.5Gi')).toBe(2 ** 29);
  expect(parseQuantity(2)).toBe(2);
  for (const bad of ['', '1 Gi', '1GB', 'Gi', '1.5.5', 'one'])
    expect(() => parseQuantity(bad)).toThrow(/quantity/);
});

test('bytes round up, and are written with the largest exact binary suffix', () => {
  expect(quantityBytes('1500m')).toBe(2);
  expect(formatBytes(448 * 2 ** 20)).toBe('448Mi');
  expect(formatBytes(2 ** 30)).toBe('1Gi');
  expect(formatBytes(1536 * 2 ** 20)).toBe('1536Mi');
  expect(formatBytes(3 * 1024)).toBe('3Ki');
  expect(formatBytes(1000)).toBe('1000');
  expect(formatBytes(0)).toBe('0');
  expect(() => formatBytes(1.5)).toThrow();
});
