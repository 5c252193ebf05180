/**
 * Contract 1 against a real `ringcache node` process over real HTTP: every status code, the
 * headers, binary-safe values, preconditions, TTL and the JSON errors.
 */
import {
  killAllNodes,
  startNodeProcess,
  waitFor,
  type NodeProcess,
} from '../../../test/support/node-process.js';
import { rawRequest } from '../../../test/support/raw-http.js';

let node: NodeProcess;
const key = (name: string) => `${node.url}/v1/keys/${encodeURIComponent(name)}`;

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string } };
  return body.error;
}

beforeAll(async () => {
  node = await startNodeProcess(['--max-value-size', '1KiB', '--max-memory', '1MiB']);
});
afterAll(killAllNodes);

describe('PUT', () => {
  test('201 when created, 204 when replaced, each with a new ETag', async () => {
    const created = await fetch(key('put-1'), { method: 'PUT', body: 'one' });
    expect(created.status).toBe(201);
    const first = created.headers.get('etag');
    expect(first).toMatch(/^"\d+"$/);
    const replaced = await fetch(key('put-1'), { method: 'PUT', body: 'two' });
    expect(replaced.status).toBe(204);
    expect(replaced.headers.get('etag')).not.toBe(first);
    expect(await (await fetch(key('put-1'))).text()).toBe('two');
  });

  test('values are bytes kept as is, with their content type', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await fetch(key('binary'), { method: 'PUT', body: bytes, headers: { 'Content-Type': 'image/x-test' } });
    const response = await fetch(key('binary'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/x-test');
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
  });

  test('an empty body is a valid value', async () => {
    expect((await fetch(key('empty'), { method: 'PUT', body: '' })).status).toBe(201);
    const response = await fetch(key('empty'));
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  test('If-None-Match: * creates only', async () => {
    const headers = { 'If-None-Match': '*' };
    expect((await fetch(key('create-only'), { method: 'PUT', body: 'a', headers })).status).toBe(201);
    const second = await fetch(key('create-only'), { method: 'PUT', body: 'b', headers });
    expect(second.status).toBe(412);
    expect((await errorOf(second)).code).toBe('PRECONDITION_FAILED');
    expect(await (await fetch(key('create-only'))).text()).toBe('a');
  });

  test('If-Match compares and sets', async () => {
    const etag = (await fetch(key('cas'), { method: 'PUT', body: 'v1' })).headers.get('etag') as string;
    const stale = await fetch(key('cas'), { method: 'PUT', body: 'x', headers: { 'If-Match': '"12345"' } });
    expect(stale.status).toBe(412);
    const ok = await fetch(key('cas'), { method: 'PUT', body: 'v2', headers: { 'If-Match': etag } });
    expect(ok.status).toBe(204);
    const again = await fetch(key('cas'), { method: 'PUT', body: 'v3', headers: { 'If-Match': etag } });
    expect(again.status).toBe(412);
    expect(await (await fetch(key('cas'))).text()).toBe('v2');
    // A weak ETag never matches (strong comparison), and If-Match on an absent key fails.
    const weak = `W/${(await fetch(key('cas'))).headers.get('etag')}`;
    expect(
      (await fetch(key('cas'), { method: 'PUT', body: 'w', headers: { 'If-Match': weak } })).status,
    ).toBe(412);
    expect(
      (await fetch(key('absent-cas'), { method: 'PUT', body: 'a', headers: { 'If-Match': '*' } })).status,
    ).toBe(412);
  });

  test('413 for a value over the limit, declared or chunked, and the old value stays', async () => {
    await fetch(key('big'), { method: 'PUT', body: 'small' });
    const declared = await fetch(key('big'), { method: 'PUT', body: Buffer.alloc(1025) });
    expect(declared.status).toBe(413);
    expect(await errorOf(declared)).toEqual({
      code: 'VALUE_TOO_LARGE',
      message: 'value exceeds the limit of 1024 bytes',
    });
    const chunked = await rawRequest(
      node.port,
      `PUT /v1/keys/big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n${'a'.repeat(1024)}\r\n1\r\nb\r\n0\r\n\r\n`,
    );
    expect(chunked.response?.status).toBe(413);
    expect(await (await fetch(key('big'))).text()).toBe('small');
    expect((await fetch(key('exact'), { method: 'PUT', body: Buffer.alloc(1024) })).status).toBe(201);
  });

  test('400 for a body with a transfer coding other than chunked: nothing is stored', async () => {
    const coded = await rawRequest(
      node.port,
      'PUT /v1/keys/coded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    expect(coded.response?.status).toBe(400);
    expect(JSON.parse(coded.response!.body)).toEqual({
      error: {
        code: 'INVALID_HEADER',
        message:
          'Transfer-Encoding "gzip, chunked" is not supported: send the body as is (Content-Length) or chunked',
      },
    });
    expect((await fetch(key('coded'))).status).toBe(404);
    // Chunked alone, in any case, is the body itself.
    const chunked = await rawRequest(
      node.port,
      'PUT /v1/keys/coded HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
    );
    expect(chunked.response?.status).toBe(201);
    expect(await (await fetch(key('coded'))).text()).toBe('abc');
  });

  test('400 for a bad TTL, bad preconditions or a bad consistency level', async () => {
    const cases: Array<[Record<string, string>, string, string]> = [
      [
        { 'X-TTL-Ms': '0' },
        'INVALID_TTL',
        'X-TTL-Ms must be a whole number of milliseconds from 1 to 315360000000, got "0"',
      ],
      [
        { 'X-TTL-Ms': '1.5' },
        'INVALID_TTL',
        'X-TTL-Ms must be a whole number of milliseconds from 1 to 315360000000, got "1.5"',
      ],
      [
        { 'X-TTL-Ms': '-5' },
        'INVALID_TTL',
        'X-TTL-Ms must be a whole number of milliseconds from 1 to 315360000000, got "-5"',
      ],
      [
        { 'If-Match': 'abc' },
        'INVALID_HEADER',
        'If-Match must be * or a list of quoted ETags such as "1234", got "abc"',
      ],
      [
        { 'If-None-Match': '"1", x' },
        'INVALID_HEADER',
        'If-None-Match must be * or a list of quoted ETags such as "1234", got "\\"1\\", x"',
      ],
      [
        { 'X-Consistency': 'most' },
        'INVALID_HEADER',
        'X-Consistency must be one of one, quorum, all, got "most"',
      ],
    ];
    for (const [headers, code, message] of cases) {
      const response = await fetch(key('bad-headers'), { method: 'PUT', body: 'x', headers });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({ code, message });
    }
    expect((await fetch(key('bad-headers'))).status).toBe(404);
  });
});

describe('keys', () => {
  test('percent-encoded keys: "/", spaces and UTF-8 round-trip', async () => {
    for (const name of ['a/b', 'with space', 'ünïcødé ✓', '%', '?#']) {
      expect((await fetch(key(name), { method: 'PUT', body: name })).status).toBe(201);
      expect(await (await fetch(key(name))).text()).toBe(name);
    }
  });

  test('250 bytes of UTF-8 is the limit', async () => {
    expect((await fetch(key('é'.repeat(125)), { method: 'PUT', body: 'x' })).status).toBe(201);
    const response = await fetch(key(`${'é'.repeat(125)}x`), { method: 'PUT', body: 'x' });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toEqual({
      code: 'KEY_TOO_LONG',
      message: 'key of 251 bytes exceeds the limit of 250 bytes',
    });
  });

  test('400 for empty, malformed or multi-segment keys', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/keys/', 'key is empty'],
      ['/v1/keys', 'key is empty'],
      ['/v1/keys/%zz', 'key is not valid percent-encoded UTF-8'],
      ['/v1/keys/%C3', 'key is not valid percent-encoded UTF-8'],
      ['/v1/keys/a/b', 'key must be one URL-encoded path segment (encode "/" as %2F)'],
      ['/v1/keys/%ED%A0%80', 'key is not valid percent-encoded UTF-8'],
    ];
    for (const [path, message] of cases) {
      const response = await fetch(`${node.url}${path}`, { method: 'PUT', body: 'x' });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toEqual({ code: 'INVALID_KEY', message });
    }
  });
});

describe('GET, HEAD, DELETE', () => {
  test('GET: 200 with ETag, Content-Type and remaining X-TTL-Ms; 404 when absent', async () => {
    const put = await fetch(key('get-1'), {
      method: 'PUT',
      body: 'hello',
      headers: { 'Content-Type': 'text/plain', 'X-TTL-Ms': '60000' },
    });
    const response = await fetch(key('get-1'));
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(put.headers.get('etag'));
    expect(response.headers.get('content-type')).toBe('text/plain');
    const ttl = Number(response.headers.get('x-ttl-ms'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60000);
    expect(await response.text()).toBe('hello');

    const noTtl = await fetch(key('put-1'));
    expect(noTtl.headers.get('x-ttl-ms')).toBeNull();

    const absent = await fetch(key('never-written'));
    expect(absent.status).toBe(404);
    expect(await errorOf(absent)).toEqual({ code: 'NOT_FOUND', message: 'key "never-written" not found' });
  });

  test('GET with If-None-Match of the current ETag answers 304', async () => {
    const etag = (await fetch(key('cond-get'), { method: 'PUT', body: 'x' })).headers.get('etag') as string;
    const response = await fetch(key('cond-get'), { headers: { 'If-None-Match': etag } });
    expect(response.status).toBe(304);
    expect((await fetch(key('cond-get'), { headers: { 'If-None-Match': '"1"' } })).status).toBe(200);
  });

  test('HEAD: the headers of GET without the body', async () => {
    await fetch(key('head-1'), { method: 'PUT', body: 'twelve bytes' });
    const response = await fetch(key('head-1'), { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('12');
    expect(response.headers.get('etag')).toMatch(/^"\d+"$/);
    expect(await response.text()).toBe('');
    expect((await fetch(key('head-absent'), { method: 'HEAD' })).status).toBe(404);
  });

  test('DELETE: 204, then 404; If-Match guards it', async () => {
    const etag = (await fetch(key('del-1'), { method: 'PUT', body: 'x' })).headers.get('etag') as string;
    expect((await fetch(key('del-1'), { method: 'DELETE', headers: { 'If-Match': '"1"' } })).status).toBe(
      412,
    );
    expect((await fetch(key('del-1'), { method: 'DELETE', headers: { 'If-Match': etag } })).status).toBe(204);
    expect((await fetch(key('del-1'))).status).toBe(404);
    const again = await fetch(key('del-1'), { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect((await errorOf(again)).code).toBe('NOT_FOUND');
  });

  test('TTL: the entry is gone once it expires, and the background sweep counts it', async () => {
    await fetch(key('ttl-1'), { method: 'PUT', body: 'x', headers: { 'X-TTL-Ms': '300' } });
    expect((await fetch(key('ttl-1'))).status).toBe(200);
    await waitFor('the entry to expire', async () => (await fetch(key('ttl-1'))).status === 404);
    await fetch(key('ttl-2'), { method: 'PUT', body: 'x', headers: { 'X-TTL-Ms': '200' } });
    // Never read again: only the background sweep can remove it.
    await waitFor('the sweep to count an expiration', async () => {
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      return Number(/^ringcache_cache_expirations_total (\d+)/m.exec(metrics)?.[1]) >= 2;
    });
  });
});

describe('routes', () => {
  test('405 with Allow for other methods', async () => {
    const response = await fetch(key('x'), { method: 'PATCH', body: 'x' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    expect(await errorOf(response)).toEqual({
      code: 'METHOD_NOT_ALLOWED',
      message: 'method PATCH is not allowed on keys',
    });
    // The method is refused before the key is read: a bad key does not turn it into a 400.
    const badKey = await fetch(`${node.url}/v1/keys/%ZZ`, { method: 'POST', body: 'x' });
    expect(badKey.status).toBe(405);
    expect((await errorOf(badKey)).code).toBe('METHOD_NOT_ALLOWED');
    const health = await fetch(`${node.url}/healthz`, { method: 'DELETE' });
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD');
  });

  test('404 JSON for unknown routes', async () => {
    const response = await fetch(`${node.url}/v2/keys/a`);
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({
      code: 'ROUTE_NOT_FOUND',
      message: 'no route for GET /v2/keys/a',
    });
  });

  test('/healthz, /readyz and /v1/status', async () => {
    expect(await (await fetch(`${node.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(200);
    const status = (await (await fetch(`${node.url}/v1/status`)).json()) as { store: { maxMemory: number } };
    expect(status.store.maxMemory).toBe(1024 * 1024);
  });
});
