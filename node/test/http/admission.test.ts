/**
 * A write that W-TinyLFU refuses at once: a new key colder than every resident one is evicted
 * as it is written (admission). The write is still acknowledged as the write it was, with the
 * ETag of its version, on a node serving alone and on a cluster member.
 */
import { killAllNodes, startNodeProcess, type NodeProcess } from '../../../test/support/node-process.js';
import { LocalCluster } from '../../../node/src/local/local-cluster.js';

const VALUE = Buffer.alloc(60_000, 1);
const LIMITS = ['--max-memory', '1MiB', '--max-value-size', '64KiB', '--eviction-policy', 'wtinylfu'];

/** Fills the store with keys read three times each, then writes new keys; returns their answers. */
async function writeColdKeys(
  url: string,
): Promise<Array<{ key: string; status: number; etag: string | null }>> {
  const hot = Array.from({ length: 40 }, (_, i) => `hot-${i}`);
  for (const key of hot) {
    expect((await fetch(`${url}/v1/keys/${key}`, { method: 'PUT', body: VALUE })).status).toBe(201);
  }
  for (let round = 0; round < 3; round++)
    for (const key of hot) await (await fetch(`${url}/v1/keys/${key}`)).arrayBuffer();
  const answers = [];
  for (const key of ['cold-1', 'cold-2', 'cold-3']) {
    const response = await fetch(`${url}/v1/keys/${key}`, { method: 'PUT', body: VALUE });
    answers.push({ key, status: response.status, etag: response.headers.get('etag') });
  }
  return answers;
}

/** Keys of `answers` no longer readable: the policy refused them (the case under test). */
async function refused(url: string, answers: Array<{ key: string }>): Promise<string[]> {
  const gone = [];
  for (const { key } of answers) if ((await fetch(`${url}/v1/keys/${key}`)).status === 404) gone.push(key);
  return gone;
}

describe('a new key the eviction policy refuses at once', () => {
  let node: NodeProcess;
  afterAll(killAllNodes);

  test('alone: 201 with the ETag of its version (it was "undefined")', async () => {
    node = await startNodeProcess(LIMITS);
    const answers = await writeColdKeys(node.url);
    expect(await refused(node.url, answers)).not.toEqual([]);
    for (const answer of answers)
      expect(answer).toEqual({ ...answer, status: 201, etag: expect.stringMatching(/^"\d+"$/) });
  });

  test('in a cluster: 201 with the ETag of its version (it was a 500)', async () => {
    const cluster = new LocalCluster({ replicationFactor: 1, nodeArgs: LIMITS });
    try {
      await cluster.start(1);
      const url = cluster.url([...cluster.nodes.keys()][0]);
      const answers = await writeColdKeys(url);
      expect(await refused(url, answers)).not.toEqual([]);
      for (const answer of answers)
        expect(answer).toEqual({ ...answer, status: 201, etag: expect.stringMatching(/^"\d+"$/) });
    } finally {
      await cluster.stop();
    }
  });
});
