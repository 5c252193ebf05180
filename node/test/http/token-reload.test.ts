/**
 * A node re-reads its token file (a Kubernetes Secret the kubelet rewrites), on a real process:
 * the new token works without a restart, the previous one until its grace ends; the peer side,
 * following the client token, moves with it.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killAllNodes, startNodeProcess, waitFor } from '../../../test/support/node-process.js';

afterAll(killAllNodes);

const OLD = 'old-token-0123456789abcdef';
const NEW = 'new-token-0123456789abcdef';

/** Replaces the file in one step, as the kubelet swaps a Secret volume's contents. */
function swap(path: string, text: string): void {
  writeFileSync(`${path}.next`, text);
  renameSync(`${path}.next`, path);
}

test('a rotated token file is taken without a restart; the old token works only for its grace', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ringcache-reload-'));
  const file = join(dir, 'token');
  writeFileSync(file, `${OLD}\n`);
  const node = await startNodeProcess([
    '--node-id',
    'n0',
    '--token-file',
    file,
    '--token-reload-ms',
    '100',
    '--token-grace-ms',
    '3000',
  ]);
  const put = (token: string) =>
    fetch(`${node.url}/v1/keys/k`, {
      method: 'PUT',
      body: 'v',
      headers: { authorization: `Bearer ${token}` },
    });
  expect((await put(OLD)).status).toBe(201);
  expect((await put(NEW)).status).toBe(401);

  swap(file, `${NEW}\n`);
  await waitFor('the new token accepted', async () => (await put(NEW)).status === 204, 10_000);
  expect(node.logs.some((l) => l.msg === 'token reloaded from its file' && l.which === 'client')).toBe(true);
  // The peer credential follows the client token here: a ring document signed with the new one
  // is taken, as the operator would send it once it has read the new Secret.
  const ring = {
    epoch: 1,
    replicationFactor: 1,
    members: [{ id: 'n0', address: node.url.slice('http://'.length), state: 'active' }],
  };
  const published = await fetch(`${node.url}/v1/ring`, {
    method: 'PUT',
    body: JSON.stringify(ring),
    headers: { authorization: `Bearer ${NEW}`, 'content-type': 'application/json' },
  });
  expect(published.status).toBe(200);

  // The old token, still in its grace right after the swap, is refused once the grace is over.
  await waitFor('the old token refused', async () => (await put(OLD)).status === 401, 10_000);
  expect((await put(NEW)).status).toBe(204);

  // A file emptied mid-swap keeps the token in use, with a warning.
  swap(file, '');
  await waitFor(
    'the warning',
    () => node.logs.some((l) => l.msg === 'token file not reloaded; the token in use stays'),
    10_000,
  );
  expect((await put(NEW)).status).toBe(204);
});
