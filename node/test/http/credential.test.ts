/** A rotating credential: the previous token's grace, and what a reload does with a bad file. Pure. */
import { Credential, reloadCredential, validToken } from '../../src/http/credential.js';

const A = 'token-a-0123456789abcdef';
const B = 'token-b-0123456789abcdef';

test('after a rotation the new token is accepted at once, the previous one until its grace ends', () => {
  const credential = new Credential(A, 1_000);
  expect(credential.accepts(A, 0)).toBe(true);
  expect(credential.accepts(B, 0)).toBe(false);
  expect(credential.rotate(B, 10_000)).toBe(true);
  expect(credential.current).toBe(B);
  expect(credential.accepts(B, 10_000)).toBe(true);
  expect(credential.accepts(A, 10_999)).toBe(true);
  expect(credential.accepts(A, 11_000)).toBe(false);
  expect(credential.accepts(B, 11_000)).toBe(true);
  expect(credential.accepts('', 10_000)).toBe(false);
});

test('rotating to the same token changes nothing; a grace of 0 drops the previous token at once', () => {
  const credential = new Credential(A, 0);
  expect(credential.rotate(A, 5)).toBe(false);
  expect(credential.rotate(B, 5)).toBe(true);
  expect(credential.accepts(A, 5)).toBe(false);
  expect(credential.accepts(B, 5)).toBe(true);
});

test('only the token before the last rotation keeps a grace', () => {
  const credential = new Credential(A, 1_000);
  credential.rotate(B, 0);
  credential.rotate('token-c-0123456789abcdef', 10);
  expect(credential.accepts(A, 20)).toBe(false);
  expect(credential.accepts(B, 20)).toBe(true);
});

describe('reloadCredential', () => {
  const files = new Map<string, string>();
  const readFile = (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw new Error('ENOENT: no such file');
    return text;
  };

  test('a changed file rotates the token; the same content does not', () => {
    const source = { credential: new Credential(A, 1_000), file: '/t/token' };
    files.set('/t/token', `${A}\n`);
    expect(reloadCredential(source, readFile, 0)).toEqual({ outcome: 'same' });
    files.set('/t/token', `${B}\n`);
    expect(reloadCredential(source, readFile, 0)).toEqual({ outcome: 'changed' });
    expect(source.credential.current).toBe(B);
  });

  test('an empty, short or missing file keeps the token in use and says why', () => {
    const source = { credential: new Credential(A, 1_000), file: '/t/other' };
    files.set('/t/other', '');
    expect(reloadCredential(source, readFile, 0)).toEqual({
      outcome: 'invalid',
      reason: '/t/other does not hold a valid token (16+ printable ASCII characters, no spaces)',
    });
    files.set('/t/other', 'short');
    expect(reloadCredential(source, readFile, 0).outcome).toBe('invalid');
    files.delete('/t/other');
    expect(reloadCredential(source, readFile, 0)).toEqual({
      outcome: 'invalid',
      reason: 'cannot read /t/other: ENOENT: no such file',
    });
    expect(source.credential.current).toBe(A);
  });

  test('a token given as a value is never reloaded', () => {
    const source = { credential: new Credential(A, 1_000) };
    expect(reloadCredential(source, readFile, 0)).toEqual({ outcome: 'same' });
  });
});

test('validToken trims and applies the node rule', () => {
  expect(validToken(`  ${A}\n`)).toBe(A);
  expect(validToken('with space 0123456789')).toBeUndefined();
  expect(validToken('0123456789abcde')).toBeUndefined();
});
