/** The client's pure parts: option checks with exact messages, and where a key is sent. */
import { suspectsLast } from '../../src/client/client.js';
import { checkOptions } from '../../src/client/options.js';
import { targetsFor } from '../../src/client/routing.js';
import { buildRing, ownersForWrite, type RingDocument } from '../../src/ring/index.js';

test('bad options are refused with exact messages', () => {
  const bad = (options: unknown) => () => checkOptions(options as never);
  expect(bad({ endpoints: [] })).toThrow('endpoints must be a non-empty array of "host:port"');
  expect(bad({ endpoints: ['localhost'] })).toThrow('endpoint "localhost" is not "host:port"');
  expect(bad({ endpoints: ['a:1'], timeoutMs: 0 })).toThrow(
    'timeoutMs must be an integer of at least 1, got 0',
  );
  expect(bad({ endpoints: ['a:1'], retries: -1 })).toThrow(
    'retries must be an integer of at least 0, got -1',
  );
  expect(bad({ endpoints: ['a:1'], consistency: 'most' })).toThrow(
    'consistency must be one, quorum or all, got "most"',
  );
  expect(bad({ endpoints: ['a:1', '[::1]:8080'], retries: 0 })).not.toThrow();
});

test("with a ring a key goes to its owners in the nodes' order, then to the endpoints", () => {
  const document: RingDocument = {
    epoch: 3,
    replicationFactor: 2,
    members: ['n0', 'n1', 'n2'].map((id, i) => ({
      id,
      address: `10.0.0.${i}:8080`,
      state: 'active' as const,
    })),
  };
  const ring = buildRing(document);
  const routing = { document, ring, addressOf: new Map(document.members.map((m) => [m.id, m.address])) };
  for (const key of ['a', 'b', 'user:42', 'ü']) {
    const owners = ownersForWrite(ring, key).map((id) => routing.addressOf.get(id));
    expect(targetsFor(routing, ['seed:1'], key, 3, 0)).toEqual([...owners, 'seed:1']);
    expect(targetsFor(routing, ['seed:1'], key, 1, 0)).toEqual([owners[0]]);
  }
});

test('without a ring requests rotate over the endpoints', () => {
  expect(targetsFor(undefined, ['a:1', 'b:1', 'c:1'], 'k', 2, 0)).toEqual(['a:1', 'b:1']);
  expect(targetsFor(undefined, ['a:1', 'b:1', 'c:1'], 'k', 2, 4)).toEqual(['b:1', 'c:1']);
  expect(targetsFor(undefined, ['a:1'], 'k', 3, 7)).toEqual(['a:1']);
});

test('nodes that failed to answer are tried after the others, each group in its order', () => {
  const down = new Set(['b:1', 'd:1']);
  expect(suspectsLast(['a:1', 'b:1', 'c:1', 'd:1'], (a) => down.has(a))).toEqual([
    'a:1',
    'c:1',
    'b:1',
    'd:1',
  ]);
  expect(suspectsLast(['a:1', 'c:1'], (a) => down.has(a))).toEqual(['a:1', 'c:1']);
});
