import {
  decideLease,
  microTime,
  recordKey,
  releasedSpec,
  renewDeadlinePassed,
  type LeaseSpec,
} from '../src/leader/decision.js';

/** A fake clock: ms since an arbitrary start. */
const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const at = (seconds: number) => T0 + seconds * 1000;
const base = { identity: 'me', leaseDurationSeconds: 15, leading: false };

const held = (holder: string | null, over: Partial<LeaseSpec> = {}): LeaseSpec => ({
  holderIdentity: holder,
  leaseDurationSeconds: 15,
  acquireTime: microTime(at(0)),
  renewTime: microTime(at(0)),
  leaseTransitions: 3,
  ...over,
});

describe('decideLease', () => {
  test('no Lease: create it, transitions 0', () => {
    expect(decideLease({ ...base, lease: undefined, observedAt: at(0), now: at(0) })).toEqual({
      kind: 'acquire',
      create: true,
      spec: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: '2026-01-01T12:00:00.000000Z',
        renewTime: '2026-01-01T12:00:00.000000Z',
        leaseTransitions: 0,
      },
    });
  });

  test('our own Lease: renew, keeping acquireTime and transitions', () => {
    const d = decideLease({ ...base, leading: true, lease: held('me'), observedAt: at(0), now: at(2) });
    expect(d).toEqual({ kind: 'renew', spec: { ...held('me'), renewTime: '2026-01-01T12:00:02.000000Z' } });
  });

  test("another's live Lease: wait until a whole duration after we observed it", () => {
    expect(decideLease({ ...base, lease: held('other'), observedAt: at(5), now: at(19.999) })).toEqual({
      kind: 'wait',
      holder: 'other',
      expiresAt: at(20),
    });
  });

  test("another's Lease unchanged for its duration on our clock: take it over, transitions + 1", () => {
    // Its renewTime says 0 s, but we first saw it at 5 s: our clock decides, so 20 s.
    const d = decideLease({ ...base, lease: held('other'), observedAt: at(5), now: at(20) });
    expect(d).toEqual({
      kind: 'acquire',
      create: false,
      spec: {
        holderIdentity: 'me',
        leaseDurationSeconds: 15,
        acquireTime: '2026-01-01T12:00:20.000000Z',
        renewTime: '2026-01-01T12:00:20.000000Z',
        leaseTransitions: 4,
      },
    });
  });

  test("the holder's own duration counts, not ours", () => {
    const lease = held('other', { leaseDurationSeconds: 40 });
    expect(decideLease({ ...base, lease, observedAt: at(0), now: at(39) }).kind).toBe('wait');
    expect(decideLease({ ...base, lease, observedAt: at(0), now: at(40) }).kind).toBe('acquire');
  });

  test('a released Lease (no holder) is taken at once', () => {
    const released = releasedSpec(held('other'), at(1));
    expect(released.holderIdentity).toBeNull();
    const d = decideLease({ ...base, lease: released, observedAt: at(1), now: at(1) });
    expect(d).toMatchObject({
      kind: 'acquire',
      create: false,
      spec: { holderIdentity: 'me', leaseTransitions: 4 },
    });
  });

  test('a leader that finds another holder has lost', () => {
    expect(
      decideLease({ ...base, leading: true, lease: held('other'), observedAt: at(0), now: at(1) }),
    ).toEqual({
      kind: 'lost',
      holder: 'other',
    });
  });
});

test('renewDeadlinePassed: stop at the deadline, not after the lease duration', () => {
  expect(renewDeadlinePassed(at(0), at(9.999), 10_000)).toBe(false);
  expect(renewDeadlinePassed(at(0), at(10), 10_000)).toBe(true);
});

test('recordKey changes with holder, renewTime and transitions only', () => {
  const lease = held('a');
  expect(recordKey(lease)).toBe(recordKey({ ...lease, acquireTime: microTime(at(9)) }));
  expect(recordKey(lease)).not.toBe(recordKey({ ...lease, renewTime: microTime(at(1)) }));
  expect(recordKey(lease)).not.toBe(recordKey({ ...lease, holderIdentity: 'b' }));
  expect(recordKey(undefined)).toBe('');
});

test('microTime has six fractional digits', () => {
  expect(microTime(Date.UTC(2026, 4, 6, 7, 8, 9, 123))).toBe('2026-05-06T07:08:09.123000Z');
});
