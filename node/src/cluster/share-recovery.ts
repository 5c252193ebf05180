/**
 * Share recovery: a node that starts empty and finds itself a member of the ring pulls its
 * share from the other members, because nobody pushes it again. A hand-off sends only to owners
 * that are new between two rings (handoff.ts), so a restarted pod, or a joiner restarted after
 * the others streamed its share, would otherwise serve (and be activated) empty.
 *
 * The node asks every other member (POST /v1/internal/share) to stream each entry it is a
 * replica of; a member answers once everything was sent. A member whose own hand-off of this
 * epoch already reached this very process (the same incarnation acknowledged every batch)
 * answers `covered` and sends nothing, so a normal join does not stream its share twice.
 * Until every member answered, the node's hand-off counts as incomplete (the operator waits
 * before the next publication) and /readyz answers 503 (a rolling update waits for it).
 */
import { randomBytes } from 'node:crypto';
import { replicasOf } from '../ring/index.js';
import type { Logger } from '../log.js';
import { EntrySender } from './entry-sender.js';
import type { EncodedEntries } from './stream-entries.js';
import type { Placement } from './placement.js';
import type { Replica } from './replica.js';

/** A process's identity for one run: a restarted node has a new one (and none of its data). */
export function newIncarnation(): string {
  return randomBytes(8).toString('hex');
}

/**
 * Whether installing `next` must start a recovery: the first ring this process installs names
 * it as a member that holds data (active or joining) beside others who may hold its share. A
 * leaving member is on its way out and needs nothing back.
 */
export function needsShareRecovery(
  previous: Placement | undefined,
  next: Placement,
  selfId: string,
): boolean {
  if (previous !== undefined) return false;
  const self = next.byId.get(selfId);
  return self !== undefined && self.state !== 'leaving' && next.byId.size > 1;
}

/** What a member answers to a share request. */
export type ShareAnswer =
  | { kind: 'sent'; entries: number; bytes: number }
  | { kind: 'covered' }
  | { kind: 'other-epoch'; epoch: number };

export interface ShareSenderDeps {
  replica: Replica;
  send: (to: string, batch: EncodedEntries) => Promise<void>;
  /** Each batch taken (progress in status and metrics while a large share streams). */
  onSent?: (entries: number, bytes: number) => void;
}

const BATCH_ENTRIES = 1024;
const BATCH_BYTES = 2 * 1024 * 1024;

/**
 * The member's side: streams every entry held here (values and tombstones) of which `requester`
 * is a replica under `placement`. Rejects when a batch was not taken: the requester asks again.
 */
export async function sendShare(
  deps: ShareSenderDeps,
  placement: Placement,
  requester: string,
): Promise<{ entries: number; bytes: number }> {
  const sent = { entries: 0, bytes: 0 };
  let failure: unknown;
  const sender = new EntrySender({
    send: ({ to }, batch) => deps.send(to, batch),
    onSent: (_to, batch, bytes) => {
      sent.entries += batch.count;
      sent.bytes += bytes;
      deps.onSent?.(batch.count, bytes);
    },
    onFailed: (_to, _entries, err) => (failure ??= err),
    maxEntries: BATCH_ENTRIES,
    maxBytes: BATCH_BYTES,
    inFlight: 2,
  });
  const { replica } = deps;
  for (const key of [...replica.store.keys(), ...replica.tombstoneKeys()]) {
    if (failure !== undefined) break;
    if (!replicasOf(placement.ring, key).all.includes(requester)) continue;
    const entry = replica.view(key); // encoded by add at once
    if (entry === undefined) continue;
    const full = sender.add({ to: requester }, entry);
    if (full !== undefined) await full;
  }
  await sender.finish();
  if (failure !== undefined) throw failure;
  return sent;
}

export interface ShareRecoveryStatus {
  state: 'none' | 'pulling' | 'done';
  /** Epoch of the ring the pull follows (it follows newer rings while it runs). */
  epoch: number;
  /** Members that have not answered yet. */
  pending: string[];
  /** Entries and bytes the members streamed (0 when their hand-offs had covered it). */
  entriesReceived: number;
  bytesReceived: number;
  startedAt: number;
  finishedAt: number;
}

export interface ShareRecoveryDeps {
  selfId: string;
  incarnation: string;
  placement: () => Placement | undefined;
  request: (address: string, epoch: number, incarnation: string) => Promise<ShareAnswer>;
  logger: Logger;
  now: () => number;
  /** Waits before another round of asking (injectable for tests). */
  pause?: (ms: number) => Promise<void>;
}

const FIRST_RETRY_MS = 200;
const MAX_RETRY_MS = 5000;

/** The requester's side: asks every other member until each has answered for the current ring. */
export class ShareRecovery {
  readonly status: ShareRecoveryStatus = {
    state: 'none',
    epoch: 0,
    pending: [],
    entriesReceived: 0,
    bytesReceived: 0,
    startedAt: 0,
    finishedAt: 0,
  };
  private stopped = false;

  constructor(private readonly deps: ShareRecoveryDeps) {}

  get pulling(): boolean {
    return this.status.state === 'pulling';
  }

  /** Starts pulling for `placement` (the first ring this process installed). */
  start(placement: Placement): Promise<void> {
    const { status } = this;
    status.state = 'pulling';
    status.epoch = placement.document.epoch;
    status.pending = [...placement.byId.keys()].filter((id) => id !== this.deps.selfId);
    status.startedAt = this.deps.now();
    this.deps.logger.info('recovering its share', { epoch: status.epoch, from: status.pending });
    return this.run();
  }

  stop(): void {
    this.stopped = true;
  }

  private async run(): Promise<void> {
    const { status, deps } = this;
    const pause = deps.pause ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
    let wait = FIRST_RETRY_MS;
    while (!this.stopped) {
      const placement = deps.placement();
      if (placement === undefined) return;
      // A newer ring: members gone from it cannot be asked (they handed off before leaving).
      status.epoch = placement.document.epoch;
      status.pending = status.pending.filter((id) => placement.byId.has(id));
      if (status.pending.length === 0) break;
      await Promise.all(
        [...status.pending].map(async (id) => {
          if (await this.ask(placement, id)) status.pending = status.pending.filter((p) => p !== id);
        }),
      );
      if (status.pending.length === 0) break;
      await pause(wait);
      wait = Math.min(wait * 2, MAX_RETRY_MS);
    }
    if (this.stopped) return;
    status.state = 'done';
    status.finishedAt = deps.now();
    deps.logger.info('share recovered', {
      epoch: status.epoch,
      entries: status.entriesReceived,
      bytes: status.bytesReceived,
      seconds: (status.finishedAt - status.startedAt) / 1000,
    });
  }

  /** True once `id` answered for the ring we hold. */
  private async ask(placement: Placement, id: string): Promise<boolean> {
    const member = placement.byId.get(id);
    if (member === undefined) return true;
    try {
      const answer = await this.deps.request(member.address, placement.document.epoch, this.deps.incarnation);
      if (answer.kind === 'other-epoch') return false; // one of us missed a publication: ask again
      if (answer.kind === 'sent') {
        this.status.entriesReceived += answer.entries;
        this.status.bytesReceived += answer.bytes;
      }
      return true;
    } catch (err) {
      this.deps.logger.warn('a member did not send this node its share yet; asking again', {
        member: id,
        err: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }
}
