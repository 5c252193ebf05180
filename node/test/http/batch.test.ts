/** The batch endpoints over real HTTP, and the frame format as a pure codec. */
import { BATCH_CONTENT_TYPE, decodeFrames, encodeFrames, type Frame } from '../../src/http/batch-format.js';
import { killAllNodes, startNodeProcess, type NodeProcess } from '../../../test/support/node-process.js';

let node: NodeProcess;
beforeAll(async () => {
  node = await startNodeProcess(['--max-batch-keys', '10', '--max-value-size', '1KiB']);
});
afterAll(killAllNodes);

const frame = (key: string, value: Uint8Array, extra: Record<string, unknown> = {}): Frame => ({
  header: { key, size: value.length, ...extra },
  value,
});

async function batchSet(body: Buffer, type = BATCH_CONTENT_TYPE) {
  const response = await fetch(`${node.url}/v1/batch/set`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': type },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('frame codec', () => {
  test('round-trips binary values and header fields', () => {
    const frames = [frame('a', Buffer.from([0, 255, 10, 13])), frame('ü/b', new Uint8Array(0), { ttlMs: 5 })];
    const decoded = decodeFrames(encodeFrames(frames), 10);
    expect(decoded.map((f) => f.header)).toEqual(frames.map((f) => f.header));
    expect(decoded.map((f) => Buffer.from(f.value))).toEqual(frames.map((f) => Buffer.from(f.value)));
  });

  test('refuses truncated or malformed input with the frame index', () => {
    const good = encodeFrames([frame('a', Buffer.from('xyz'))]);
    const cases: Array<[Buffer, string]> = [
      [good.subarray(0, 2), 'frame 0: truncated header length'],
      [good.subarray(0, 10), 'frame 0: truncated header'],
      [good.subarray(0, good.length - 1), 'frame 0: truncated value'],
      [Buffer.concat([good, Buffer.from([0, 0, 0, 0])]), 'frame 1: header length 0 is not within 1..65536'],
      [
        Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('[]')]),
        'frame 0: header must be a JSON object',
      ],
      [Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{x')]), 'frame 0: header is not UTF-8 JSON'],
      [
        Buffer.concat([Buffer.from([0, 0, 0, 12]), Buffer.from('{"size":0}  ')]),
        'frame 0: "key" must be a string',
      ],
      [
        Buffer.concat([Buffer.from([0, 0, 0, 20]), Buffer.from('{"key":"a","size":-1}').subarray(0, 20)]),
        'frame 0: header is not UTF-8 JSON',
      ],
    ];
    for (const [bytes, message] of cases) expect(() => decodeFrames(bytes, 10)).toThrow(message);
    expect(() => decodeFrames(Buffer.concat([good, good, good]), 2)).toThrow(
      'batch holds more than 2 entries',
    );
  });
});

describe('POST /v1/batch/set and /v1/batch/get', () => {
  test('sets many keys with their own metadata, then reads them back in one request', async () => {
    const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const set = await batchSet(
      encodeFrames([
        frame('b1', binary, { contentType: 'application/x-bin' }),
        frame('b2', Buffer.from('two'), { ttlMs: 60000 }),
        frame('b1', Buffer.from('ignored'), { ifNoneMatch: '*' }),
        frame('', Buffer.from('x')),
        frame('big', Buffer.alloc(1025)),
      ]),
    );
    expect(set.status).toBe(200);
    const results = set.body.results as Array<{ key: string; status: number; error?: { code: string } }>;
    expect(results.map((r) => [r.key, r.status, r.error?.code])).toEqual([
      ['b1', 201, undefined],
      ['b2', 201, undefined],
      ['b1', 412, 'PRECONDITION_FAILED'],
      ['', 400, 'INVALID_KEY'],
      ['big', 413, 'VALUE_TOO_LARGE'],
    ]);

    const got = await fetch(`${node.url}/v1/batch/get`, {
      method: 'POST',
      body: JSON.stringify({ keys: ['b1', 'b2', 'nope'] }),
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe(BATCH_CONTENT_TYPE);
    const frames = decodeFrames(Buffer.from(await got.arrayBuffer()), 10);
    expect(frames.map((f) => [f.header.key, f.header.status, f.header.contentType])).toEqual([
      ['b1', 200, 'application/x-bin'],
      ['b2', 200, 'application/octet-stream'],
      ['nope', 404, undefined],
    ]);
    expect(Buffer.from(frames[0].value).equals(binary)).toBe(true);
    expect(frames[1].header.ttlMs).toBeGreaterThan(0);
    expect(frames[0].header.etag).toBe((await fetch(`${node.url}/v1/keys/b1`)).headers.get('etag'));
  });

  test('a malformed batch changes nothing and says why', async () => {
    const good = encodeFrames([frame('m1', Buffer.from('x'))]);
    const truncated = await batchSet(Buffer.concat([good, good.subarray(0, 6)]));
    expect(truncated).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_BODY', message: 'frame 1: truncated header' } },
    });
    expect((await fetch(`${node.url}/v1/keys/m1`)).status).toBe(404);

    const wrongType = await batchSet(good, 'application/json');
    expect(wrongType.status).toBe(400);
    const tooMany = await batchSet(
      encodeFrames(Array.from({ length: 11 }, (_, i) => frame(`t${i}`, Buffer.from('x')))),
    );
    expect(tooMany.body).toEqual({
      error: { code: 'INVALID_BODY', message: 'batch holds more than 10 entries' },
    });

    for (const [body, message] of [
      ['{', 'body must be JSON: {"keys": [<key>, ...]}'],
      ['{"keys": "a"}', 'body must be {"keys": [<key>, ...]}'],
      ['{"keys": [1]}', 'keys[0] must be a string'],
      [JSON.stringify({ keys: Array(11).fill('a') }), 'batch holds 11 keys; the limit is 10'],
    ]) {
      const response = await fetch(`${node.url}/v1/batch/get`, { method: 'POST', body });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: { code: 'INVALID_BODY', message } });
    }
  });

  test('a content type no header can carry is refused, and If-None-Match compares weakly as the PUT header does', async () => {
    const set = await batchSet(
      encodeFrames([
        frame('ct1', Buffer.from('x'), { contentType: 'text/plain\r\nX-Evil: 1' }),
        frame('ct2', Buffer.from('x'), { contentType: 'text/€' }),
        frame('w1', Buffer.from('first')),
      ]),
    );
    const results = set.body.results as Array<{
      key: string;
      status: number;
      etag?: string;
      error?: { code: string };
    }>;
    expect(results.map((r) => [r.key, r.status, r.error?.code])).toEqual([
      ['ct1', 400, 'INVALID_HEADER'],
      ['ct2', 400, 'INVALID_HEADER'],
      ['w1', 201, undefined],
    ]);
    expect((await fetch(`${node.url}/v1/keys/ct1`)).status).toBe(404);
    const weak = `W/${results[2].etag}`;
    const again = await batchSet(encodeFrames([frame('w1', Buffer.from('second'), { ifNoneMatch: weak })]));
    expect((again.body.results as Array<{ status: number }>)[0].status).toBe(412);
    expect(await (await fetch(`${node.url}/v1/keys/w1`)).text()).toBe('first');
  });

  test('a bad X-Consistency is refused with 400 as on a single request, ring or not', async () => {
    const headers = { 'X-Consistency': 'bogus', 'Content-Type': BATCH_CONTENT_TYPE };
    const set = await fetch(`${node.url}/v1/batch/set`, {
      method: 'POST',
      headers,
      body: encodeFrames([frame('xc', Buffer.from('x'))]),
    });
    const get = await fetch(`${node.url}/v1/batch/get`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ keys: ['xc'] }),
    });
    for (const response of [set, get]) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_HEADER');
    }
    expect((await fetch(`${node.url}/v1/keys/xc`)).status).toBe(404);
  });
});
