/** Bearer-token auth on and off, and /metrics values after known traffic, on real node processes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllNodes, startNodeProcess } from '../../../test/support/node-process.js';

afterAll(killAllNodes);

const TOKEN = 'test-token-0123456789abcdef';

describe('auth', () => {
  test('with a token file: /v1/* needs the bearer token; health and metrics stay open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ringcache-auth-'));
    writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
    const node = await startNodeProcess(['--token-file', join(dir, 'token')]);
    const url = `${node.url}/v1/keys/secret`;

    const missing = await fetch(url, { method: 'PUT', body: 'x' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="ringcache"');
    expect(await missing.json()).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'this node requires Authorization: Bearer <token>' },
    });
    for (const authorization of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(1)}`,
      TOKEN,
      'Bearer ',
      `Basic ${TOKEN}`,
    ]) {
      const wrong = await fetch(url, { method: 'PUT', body: 'x', headers: { authorization } });
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: { message: string } }).error.message).toBe(
        'the bearer token is not valid',
      );
    }
    const headers = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(url, { method: 'PUT', body: 'x', headers })).status).toBe(201);
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers })).status).toBe(200);
    // The scheme is case-insensitive (RFC 9110): "bearer" and "BEARER" work too.
    for (const scheme of ['bearer', 'BEARER'])
      expect((await fetch(url, { headers: { authorization: `${scheme} ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${node.url}/v1/status`)).status).toBe(401);
    expect((await fetch(`${node.url}/v1/batch/get`, { method: 'POST', body: '{"keys":[]}' })).status).toBe(
      401,
    );

    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${node.url}/metrics`)).status).toBe(200);
  });

  test('--metrics-auth closes /metrics too', async () => {
    const node = await startNodeProcess(['--metrics-auth'], { RINGCACHE_TOKEN: TOKEN });
    expect((await fetch(`${node.url}/metrics`)).status).toBe(401);
    const ok = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
  });

  test('without a token, no header is needed', async () => {
    const node = await startNodeProcess();
    expect((await fetch(`${node.url}/v1/keys/open`, { method: 'PUT', body: 'x' })).status).toBe(201);
  });
});

describe('metrics', () => {
  function sample(text: string, name: string, labels = ''): number {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    if (line === undefined) throw new Error(`no sample ${name}${labels}`);
    return Number(line.split(' ').at(-1));
  }

  test('counters and the duration histogram follow known traffic', async () => {
    const node = await startNodeProcess();
    const key = (i: number) => `${node.url}/v1/keys/m${i}`;
    for (let i = 0; i < 5; i++) await fetch(key(i), { method: 'PUT', body: 'value' });
    for (let i = 0; i < 5; i++) await fetch(key(i)); // 5 hits
    for (let i = 5; i < 8; i++) await fetch(key(i)); // 3 misses
    await fetch(key(0), { method: 'DELETE' });

    const text = await (await fetch(`${node.url}/metrics`)).text();
    expect(sample(text, 'ringcache_cache_hits_total')).toBe(5);
    expect(sample(text, 'ringcache_cache_misses_total')).toBe(3);
    expect(sample(text, 'ringcache_cache_keys')).toBe(4);
    expect(sample(text, 'ringcache_cache_bytes')).toBeGreaterThan(0);
    // W-TinyLFU (the default) starts with a 1% window; the tuner moves it as the workload asks.
    expect(sample(text, 'ringcache_cache_window_share')).toBe(0.01);
    const count = 'ringcache_http_request_duration_seconds_count';
    expect(sample(text, count, '{operation="put",status="201"}')).toBe(5);
    expect(sample(text, count, '{operation="get",status="200"}')).toBe(5);
    expect(sample(text, count, '{operation="get",status="404"}')).toBe(3);
    expect(sample(text, count, '{operation="delete",status="204"}')).toBe(1);
    expect(
      sample(
        text,
        'ringcache_http_request_duration_seconds_bucket',
        '{le="+Inf",operation="put",status="201"}',
      ),
    ).toBe(5);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toContain('# TYPE ringcache_http_request_duration_seconds histogram');
  });

  test('evictions keep the store under max memory and are counted', async () => {
    const node = await startNodeProcess([
      '--max-memory',
      '64KiB',
      '--max-value-size',
      '4KiB',
      '--eviction-policy',
      'lru',
    ]);
    const value = Buffer.alloc(1000, 'x');
    for (let i = 0; i < 200; i++) {
      expect((await fetch(`${node.url}/v1/keys/e${i}`, { method: 'PUT', body: value })).status).toBe(201);
    }
    const text = await (await fetch(`${node.url}/metrics`)).text();
    expect(sample(text, 'ringcache_cache_bytes')).toBeLessThanOrEqual(64 * 1024);
    expect(sample(text, 'ringcache_cache_evictions_total')).toBeGreaterThan(100);
    expect((await fetch(`${node.url}/v1/keys/e199`)).status).toBe(200);
    expect((await fetch(`${node.url}/v1/keys/e0`)).status).toBe(404);
  });
});
