/**
 * The anti-entropy exchange between two owners (anti-entropy.ts has the rules), and the
 * dropping of entries a node no longer owns; both walk every entry held here, so one scan
 * serves both. Rounds run one at a time, yield to requests between chunks, and stop when a
 * newer ring arrives.
 *
 *   initiator                           responder
 *   POST /v1/internal/digests  ------>  its digests for the initiator; the ranges that differ
 *   POST /v1/internal/sync     ------>  (key, version) of those ranges: sends the initiator
 *        (per chunk of ranges)          what it holds newer, answers the keys it needs
 *   POST /v1/internal/apply    ------>  the entries the responder needs
 */
import { murmur3 } from '../ring/hash.js';
import { ownersForWrite } from '../ring/index.js';
import type { Logger } from '../log.js';
import { addToDigests, compareVersions, emptyDigests, rangeOf, RANGES } from './anti-entropy.js';
import type { Peers } from './peers.js';
import type { Placement } from './placement.js';
import { EntrySender } from './entry-sender.js';
import type { Replica } from './replica.js';

/** (key, version) pairs per sync request: bounds a request body to a few MiB. */
export const MAX_SYNC_VERSIONS = 100_000;
const SCAN_CHUNK = 2048;

export interface ExchangeContext {
  selfId: string;
  replica: Replica;
  peers: Peers;
  logger: Logger;
  placement: () => Placement | undefined;
  /** Whether entries this node does not own may be dropped now (grace over, hand-off done). */
  mayDropUnowned: () => boolean;
  now: () => number;
}

export interface ExchangeCounters {
  rounds: number;
  rangesRepaired: number;
  entriesSent: number;
  entriesReceived: number;
  unownedDropped: number;
}

export class ExchangeAborted extends Error {}

export class AntiEntropy {
  readonly counters: ExchangeCounters = {
    rounds: 0,
    rangesRepaired: 0,
    entriesSent: 0,
    entriesReceived: 0,
    unownedDropped: 0,
  };
  private running = false;

  constructor(private readonly ctx: ExchangeContext) {}

  /**
   * Visits every entry held here that `peer` also owns (every owned entry without `peer`),
   * calling `visit(key, version, range)`; drops entries this node does not own when allowed.
   */
  private async scan(
    placement: Placement,
    peer: string | undefined,
    visit: (key: string, version: number, range: number, owners: readonly string[]) => void,
    dropUnowned = false,
  ): Promise<void> {
    const { replica, selfId } = this.ctx;
    const keys = [...replica.store.keys(), ...replica.tombstoneKeys()];
    const owners: string[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (i % SCAN_CHUNK === SCAN_CHUNK - 1) {
        await new Promise((resolve) => setImmediate(resolve));
        if (this.ctx.placement() !== placement) throw new ExchangeAborted('a newer ring arrived');
      }
      const key = keys[i];
      const version = replica.versionOf(key);
      if (version === undefined) continue;
      ownersForWrite(placement.ring, key, owners);
      if (!owners.includes(selfId)) {
        if (dropUnowned && this.ctx.mayDropUnowned()) {
          replica.forget(key);
          this.counters.unownedDropped++;
        }
        continue;
      }
      if (peer !== undefined && !owners.includes(peer)) continue;
      visit(key, version, rangeOf(murmur3(key)), owners);
    }
  }

  /** Digests of what this node holds that `peer` should hold too. */
  async digestsFor(placement: Placement, peer: string): Promise<Uint32Array> {
    const digests = emptyDigests();
    await this.scan(placement, peer, (key, version, range) => addToDigests(digests, range, key, version));
    return digests;
  }

  /** (key, version) held here, shared with `peer`, in `ranges`. */
  async versionsFor(
    placement: Placement,
    peer: string,
    ranges: readonly number[],
  ): Promise<Map<string, number>> {
    const wanted = new Uint8Array(RANGES);
    for (const r of ranges) wanted[r] = 1;
    const versions = new Map<string, number>();
    await this.scan(placement, peer, (key, version, range) => {
      if (wanted[range] === 1) versions.set(key, version);
    });
    return versions;
  }

  /** Responder side of a sync: sends `peer` what it lacks, returns the keys we need. */
  async answerSync(
    placement: Placement,
    peer: string,
    ranges: readonly number[],
    theirs: readonly (readonly [string, number])[],
  ): Promise<string[]> {
    const ours = await this.versionsFor(placement, peer, ranges);
    const { theyNeed, weNeed } = compareVersions(ours, theirs);
    await this.send(placement, peer, theyNeed);
    return weNeed;
  }

  /** Sends the current copies of `keys` to `peer`, in batches; throws when one is refused. */
  private async send(placement: Placement, peer: string, keys: readonly string[]): Promise<void> {
    const address = placement.byId.get(peer)?.address;
    if (address === undefined) return;
    let failure: unknown;
    const sender = new EntrySender({
      send: (_to, entries) => this.ctx.peers.apply(address, entries, undefined, 30_000),
      onSent: (_to, batch) => (this.counters.entriesSent += batch.count),
      onFailed: (_to, _batch, err) => (failure ??= err),
    });
    for (const key of keys) {
      const entry = this.ctx.replica.view(key); // encoded by add at once
      if (entry !== undefined) await sender.add({ to: peer }, entry);
    }
    await sender.finish();
    if (failure !== undefined) throw failure;
  }

  /**
   * One round: with every other member, compare digests and exchange what differs. Also drops
   * what this node no longer owns once allowed. Returns without work when a round is running.
   */
  async round(): Promise<void> {
    const placement = this.ctx.placement();
    if (this.running || placement === undefined) return;
    this.running = true;
    try {
      this.counters.rounds++;
      await this.scan(placement, undefined, () => {}, true);
      for (const member of placement.document.members) {
        if (member.id === this.ctx.selfId) continue;
        try {
          await this.exchangeWith(placement, member.id, member.address);
        } catch (err) {
          if (err instanceof ExchangeAborted) return;
          this.ctx.logger.debug('anti-entropy with a peer failed', { peer: member.id, err });
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async exchangeWith(placement: Placement, peer: string, address: string): Promise<void> {
    const epoch = placement.document.epoch;
    const ours = await this.digestsFor(placement, peer);
    const differing = await this.ctx.peers.compareDigests(address, epoch, ours);
    if (differing === undefined || differing.length === 0) return;
    const versions = await this.versionsFor(placement, peer, differing);
    // Group whole ranges per request: the responder reads a key missing from a range as missing here.
    const byRange = new Map<number, [string, number][]>();
    for (const [key, version] of versions) {
      const range = rangeOf(murmur3(key));
      let list = byRange.get(range);
      if (list === undefined) byRange.set(range, (list = []));
      list.push([key, version]);
    }
    let ranges: number[] = [];
    let pairs: [string, number][] = [];
    const syncChunk = async () => {
      if (ranges.length === 0) return;
      const want = await this.ctx.peers.sync(address, epoch, ranges, pairs);
      if (want === undefined) throw new ExchangeAborted('the peer holds another ring');
      this.counters.rangesRepaired += ranges.length;
      await this.send(placement, peer, want);
      ranges = [];
      pairs = [];
    };
    for (const range of differing) {
      const list = byRange.get(range) ?? [];
      if (pairs.length + list.length > MAX_SYNC_VERSIONS) await syncChunk();
      ranges.push(range);
      for (const pair of list.slice(0, MAX_SYNC_VERSIONS)) pairs.push(pair);
    }
    await syncChunk();
  }
}
