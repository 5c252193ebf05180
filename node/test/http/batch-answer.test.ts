/**
 * A batch get's answer is bounded by --max-batch-size, as its request is: one key may be asked
 * for up to --max-batch-keys times, and the answer is built in memory, so a request of a few
 * KiB could otherwise make a node build max-batch-keys x max-value-size bytes (1 GiB with the
 * defaults). Entries past the bound answer 413 VALUE_TOO_LARGE; the others are served.
 */
import { decodeFrames } from '../../src/http/batch-format.js';
import { LocalCluster } from '../../src/local/local-cluster.js';
import { killAllNodes, startNodeProcess } from '../../../test/support/node-process.js';

const LIMITS = ['--max-value-size', '1KiB', '--max-batch-size', '4KiB', '--max-batch-keys', '10'];
const VALUE = Buffer.alloc(1000, 7);

/** Writes `k`, asks for it 10 times in one batch; returns each entry's status and size. */
async function askTenTimes(url: string): Promise<Array<[number, number]>> {
  expect((await fetch(`${url}/v1/keys/k`, { method: 'PUT', body: VALUE })).status).toBe(201);
  const response = await fetch(`${url}/v1/batch/get`, {
    method: 'POST',
    body: JSON.stringify({ keys: Array(10).fill('k') }),
  });
  expect(response.status).toBe(200);
  const frames = decodeFrames(Buffer.from(await response.arrayBuffer()), 10);
  for (const { header } of frames.filter((f) => f.header.status === 413))
    expect(header.error).toEqual({
      code: 'VALUE_TOO_LARGE',
      message:
        "the batch's answer would exceed the limit of 4096 bytes (--max-batch-size); read this key in another batch",
    });
  return frames.map((f) => [f.header.status as number, f.value.length]);
}

afterAll(killAllNodes);

test('alone: the entries that fit are served, in request order, the others answer 413', async () => {
  const node = await startNodeProcess(LIMITS);
  expect(await askTenTimes(node.url)).toEqual([...Array(4).fill([200, 1000]), ...Array(6).fill([413, 0])]);
});

test('in a cluster: at most --max-batch-size bytes of values, the other entries answer 413', async () => {
  const cluster = new LocalCluster({ replicationFactor: 2, nodeArgs: LIMITS });
  try {
    await cluster.start(2);
    const answers = await askTenTimes(cluster.url([...cluster.nodes.keys()][0]));
    // Entries run concurrently, so which ones are served depends on when their values arrive.
    expect(answers.filter(([status]) => status === 200)).toEqual(Array(4).fill([200, 1000]));
    expect(answers.filter(([status]) => status === 413)).toEqual(Array(6).fill([413, 0]));
  } finally {
    await cluster.stop();
  }
});
