/** The ring document (Contract 2): what parses, and the exact message for each bad field. */
import {
  admitRing,
  isNewerRing,
  parseRingDocument,
  RingError,
  type RingDocument,
} from '../../src/ring/document.js';

const member = { id: 'demo-0', address: 'demo-0.demo-nodes.default.svc:8080', state: 'active' };
const valid = {
  epoch: 7,
  replicationFactor: 2,
  members: [member, { id: 'demo-1', address: '10.0.0.2:8080', state: 'joining' }],
  publisher: { holder: 'ringcache-operator-7d9c-x2', leaseTransitions: 3 },
};

/** The error a parse throws; fails the test when it does not throw. */
function errorOf(input: unknown): RingError {
  try {
    parseRingDocument(input);
  } catch (error) {
    expect(error).toBeInstanceOf(RingError);
    return error as RingError;
  }
  throw new Error(`parsed: ${JSON.stringify(input)}`);
}

test('a valid document parses to itself; unknown fields are dropped; publisher is optional', () => {
  expect(parseRingDocument(valid)).toEqual(valid);
  expect(parseRingDocument({ ...valid, extra: true, members: [{ ...member, zone: 'a' }] })).toEqual({
    ...valid,
    members: [member],
  });
  const { publisher: _, ...local } = valid;
  expect(parseRingDocument(local)).toEqual(local);
  expect(parseRingDocument({ ...local, members: [] })).toEqual({ ...local, members: [] });
  for (const address of ['[::1]:8080', '127.0.0.1:1', 'a:65535', 'x_y.svc.cluster.local:80']) {
    expect(parseRingDocument({ ...local, members: [{ ...member, address }] }).members[0].address).toBe(
      address,
    );
  }
});

test('every field is checked, with an exact message and code INVALID_RING', () => {
  const withMember = (patch: Record<string, unknown>) => ({ ...valid, members: [{ ...member, ...patch }] });
  const cases: Array<[unknown, string]> = [
    [null, 'the ring document must be a JSON object'],
    [[], 'the ring document must be a JSON object'],
    ['{}', 'the ring document must be a JSON object'],
    [{ ...valid, epoch: undefined }, 'epoch must be a non-negative integer, got nothing'],
    [{ ...valid, epoch: -1 }, 'epoch must be a non-negative integer, got -1'],
    [{ ...valid, epoch: 1.5 }, 'epoch must be a non-negative integer, got 1.5'],
    [{ ...valid, epoch: '7' }, 'epoch must be a non-negative integer, got "7"'],
    [{ ...valid, epoch: 2 ** 53 }, 'epoch must be a non-negative integer, got 9007199254740992'],
    [{ ...valid, replicationFactor: 0 }, 'replicationFactor must be an integer of at least 1, got 0'],
    [{ ...valid, replicationFactor: 2.5 }, 'replicationFactor must be an integer of at least 1, got 2.5'],
    [{ ...valid, replicationFactor: null }, 'replicationFactor must be an integer of at least 1, got null'],
    [{ ...valid, members: {} }, 'members must be an array, got {}'],
    [{ ...valid, members: undefined }, 'members must be an array, got nothing'],
    [
      { ...valid, members: Array.from({ length: 1025 }, (_, i) => ({ ...member, id: `m${i}` })) },
      'members must have at most 1024 entries, got 1025',
    ],
    [{ ...valid, members: ['demo-0'] }, 'members[0] must be an object, got "demo-0"'],
    [withMember({ id: '' }), 'members[0].id must be 1 to 253 characters of A-Z a-z 0-9 . _ -, got ""'],
    [withMember({ id: 7 }), 'members[0].id must be 1 to 253 characters of A-Z a-z 0-9 . _ -, got 7'],
    [withMember({ id: 'a#1' }), 'members[0].id must be 1 to 253 characters of A-Z a-z 0-9 . _ -, got "a#1"'],
    [
      withMember({ id: 'nœud' }),
      'members[0].id must be 1 to 253 characters of A-Z a-z 0-9 . _ -, got "nœud"',
    ],
    [
      withMember({ id: 'x'.repeat(254) }),
      `members[0].id must be 1 to 253 characters of A-Z a-z 0-9 . _ -, got "${'x'.repeat(76)}...`,
    ],
    [{ ...valid, members: [member, member] }, 'members[1].id "demo-0" appears twice'],
    [
      { ...valid, members: [member, { ...member, id: 'demo-1', address: member.address.toUpperCase() }] },
      `members[1].address "${member.address.toUpperCase()}" is also the address of member "demo-0"`,
    ],
    [
      withMember({ address: 'no-port' }),
      'members[0].address must be host:port with a port from 1 to 65535, got "no-port"',
    ],
    [
      withMember({ address: ':8080' }),
      'members[0].address must be host:port with a port from 1 to 65535, got ":8080"',
    ],
    [
      withMember({ address: 'a:0' }),
      'members[0].address must be host:port with a port from 1 to 65535, got "a:0"',
    ],
    [
      withMember({ address: 'a:65536' }),
      'members[0].address must be host:port with a port from 1 to 65535, got "a:65536"',
    ],
    [
      withMember({ address: 'http://a:80' }),
      'members[0].address must be host:port with a port from 1 to 65535, got "http://a:80"',
    ],
    [
      withMember({ address: 'a b:80' }),
      'members[0].address must be host:port with a port from 1 to 65535, got "a b:80"',
    ],
    [
      withMember({ address: undefined }),
      'members[0].address must be host:port with a port from 1 to 65535, got nothing',
    ],
    [withMember({ state: 'gone' }), 'members[0].state must be one of joining, active, leaving, got "gone"'],
    [
      withMember({ state: undefined }),
      'members[0].state must be one of joining, active, leaving, got nothing',
    ],
    [{ ...valid, publisher: 'op' }, 'publisher must be an object, got "op"'],
    [{ ...valid, publisher: null }, 'publisher must be an object, got null'],
    [
      { ...valid, publisher: { leaseTransitions: 1 } },
      'publisher.holder must be a non-empty string, got nothing',
    ],
    [
      { ...valid, publisher: { holder: '', leaseTransitions: 1 } },
      'publisher.holder must be a non-empty string, got ""',
    ],
    [
      { ...valid, publisher: { holder: 'op', leaseTransitions: -2 } },
      'publisher.leaseTransitions must be a non-negative integer, got -2',
    ],
  ];
  for (const [input, message] of cases) {
    const error = errorOf(input);
    expect([message, error.code]).toEqual([error.message, 'INVALID_RING']);
  }
});

test('the first bad field is the one reported', () => {
  expect(errorOf({ epoch: -1, replicationFactor: 0, members: 1 }).message).toBe(
    'epoch must be a non-negative integer, got -1',
  );
  expect(errorOf({ ...valid, members: [member, { ...member, state: 'x' }, { id: '' }] }).message).toBe(
    'members[1].id "demo-0" appears twice',
  );
});

test('epochs only grow', () => {
  const parsed: RingDocument = parseRingDocument(valid);
  expect(isNewerRing(undefined, parsed)).toBe(true);
  expect(isNewerRing(parsed, { ...parsed, epoch: 6 })).toBe(false);
  expect(isNewerRing(parsed, { ...parsed, epoch: 7 })).toBe(false);
  expect(isNewerRing(parsed, { ...parsed, epoch: 8 })).toBe(true);
});

test('a ring from a deposed publisher is refused even with a higher epoch', () => {
  const installed: RingDocument = parseRingDocument(valid); // holder ...-x2, transitions 3
  const next = (holder: string, leaseTransitions: number): RingDocument => ({
    ...installed,
    epoch: 8,
    publisher: { holder, leaseTransitions },
  });
  expect(admitRing(installed, next('ringcache-operator-7d9c-x2', 3))).toEqual({ install: true });
  expect(admitRing(installed, next('ringcache-operator-new', 4))).toEqual({ install: true });
  expect(admitRing(installed, next('ringcache-operator-old', 2))).toEqual({
    install: false,
    code: 'DEPOSED_PUBLISHER',
    message:
      'publisher ringcache-operator-old (lease transitions 2) was deposed by ringcache-operator-7d9c-x2 (lease transitions 3)',
  });
  expect(admitRing(installed, next('ringcache-operator-other', 3))).toMatchObject({
    install: false,
    code: 'DEPOSED_PUBLISHER',
  });
  const { publisher: _none, ...unpublished } = next('x', 0);
  expect(admitRing(installed, unpublished)).toEqual({
    install: false,
    code: 'DEPOSED_PUBLISHER',
    message:
      'a ring without a publisher cannot replace one published by ringcache-operator-7d9c-x2 (lease transitions 3)',
  });
  expect(admitRing({ ...unpublished, epoch: 7 }, next('anyone', 0))).toEqual({ install: true });
  expect(admitRing(installed, { ...installed, epoch: 7 })).toEqual({
    install: false,
    code: 'STALE_RING',
    message: 'epoch 7 is not newer than the installed 7',
  });
});
