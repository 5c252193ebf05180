/**
 * The cluster side of a node: the installed ring, and the coordination of key requests over
 * the key's replicas (docs/cluster.md).
 *
 * - Any node accepts any key. A node that is not the key's primary forwards to it; when the
 *   primary does not answer, the next replica coordinates instead.
 * - A write is applied by its coordinator (which stamps the version), sent to every other
 *   replica, and acknowledged once the consistency level holds in both ring views. A replica
 *   that does not answer is replaced by a fallback node holding a hint for it (sloppy quorum),
 *   so one failure does not block writes and no acknowledged write rests on one copy.
 * - A read asks the replicas the level needs (and all of them on a local miss), answers with
 *   the newest copy, and repairs replicas that were stale.
 */
import { ApiError, notFound } from '../http/errors.js';
import { checkWritePreconditions, type Reply } from '../http/key-ops.js';
import {
  etagMatches,
  formatEtag,
  isConditional,
  writeAllowed,
  type Preconditions,
} from '../http/request-parts.js';
import type { Consistency } from '../http/config.js';
import type { Logger } from '../log.js';
import {
  acksNeeded,
  admitRing,
  NEXT,
  ownersOf,
  readView,
  replicasOf,
  writeSatisfied,
  type Replicas,
  type RingAdmission,
  type RingDocument,
} from '../ring/index.js';
import { placementOf, type Placement } from './placement.js';
import {
  answersCounted,
  answersNeeded,
  readCandidates,
  type ReadAnswer,
  type ReadCandidate,
} from './read-plan.js';
import { AntiEntropy } from './anti-entropy-exchange.js';
import { drainTargets, ringWithoutSelf } from './drain.js';
import { handOff, newProgress, type HandoffProgress } from './handoff.js';
import { EntrySender } from './entry-sender.js';
import { HintStore } from './hints.js';
import { ReplicationBatcher } from './replication-batcher.js';
import { StallDetector } from './stall-detector.js';
import {
  needsShareRecovery,
  newIncarnation,
  sendShare,
  ShareRecovery,
  type ShareAnswer,
} from './share-recovery.js';
import { HEADER_ELAPSED, PeerError, type Peers } from './peers.js';
import { asOf, supersedes, type Replica, type ReplicaEntry } from './replica.js';
import { DEFAULT_CONTENT_TYPE } from '../store/content-types.js';

/** How long a member that failed a call is skipped; hint delivery keeps probing it meanwhile. */
const SUSPECT_MS = 2000;
/** A leaving node that could pass none of its hints on tries again after this long. */
const HINT_HANDOVER_RETRY_MS = 1000;
/** Hints per request when a node passes its hints on. */
const HINT_BATCH = 256;

export interface KeyRequest {
  operation: 'get' | 'head' | 'put' | 'delete';
  key: string;
  conditions: Preconditions;
  consistency: Consistency;
  value?: Buffer;
  contentType?: string;
  ttlMs?: number;
  /** When the first node received the request, on this node's clock (ms): a TTL runs from then. */
  receivedAt: number;
  /** Set when another node forwarded this request: coordinate here, never forward again. */
  forwarded: boolean;
  /** When the sender gives up (ms since the epoch; Infinity: never): a forward carries it on. */
  deadline: number;
  /** Headers to pass on when forwarding (authorization, preconditions, TTL, ...). */
  passHeaders: Record<string, string>;
  path: string;
}

export interface DrainReport {
  epoch: number;
  /** Entries sent as plain copies to successors that own them. */
  copies: number;
  /** Entries sent as hints for this node to successors that do not own them. */
  hints: number;
  /** Entries a successor did not take. */
  failed: number;
  /** Why nothing was sent, when nothing had to be. */
  skipped?: string;
}

export interface ClusterOptions {
  selfId: string;
  replica: Replica;
  peers: Peers;
  logger: Logger;
  hintLimit: number;
  /** Bytes of values the hints may hold (the node passes --max-memory); default unbounded. */
  hintBytes?: number;
  /** How long after a ring (and this node's hand-off for it) entries it does not own are kept. */
  unownedGraceMs: number;
  now: () => number;
}

export class Cluster {
  private placement: Placement | undefined;
  /** This process's identity for one run: peers tell a restarted node from the one they streamed to. */
  readonly incarnation = newIncarnation();
  /** Pulling this node's share after a restart (share-recovery.ts). */
  readonly recovery: ShareRecovery;
  /**
   * For the latest hand-off, per new owner: the incarnation that took every batch sent to it,
   * or null when batches failed or went to different incarnations (it restarted meanwhile).
   */
  private handoffReceipts = new Map<string, string | null>();
  /** The ring the latest hand-off started from: it sent only what each member newly owns. */
  private handoffFrom: Placement | undefined;
  readonly hints: HintStore;
  readonly counters = {
    forwarded: 0,
    repaired: 0,
    hintsStored: 0,
    rebalanceSent: 0,
    rebalanceBytesSent: 0,
    rebalanceKeysScanned: 0,
    /** Entries and bytes streamed to restarted members pulling their share (share-recovery.ts). */
    shareSent: 0,
    shareBytesSent: 0,
  };
  /** The epoch whose hand-off (streaming to new owners) this node has finished. */
  handoffEpoch = 0;
  /**
   * Set by drain(): the node is stopping and has handed its entries over, so it takes no new
   * copies (peers send them to fallbacks, hints stay with their holders until it restarts).
   */
  private drained = false;
  /** When the current ring was installed (ms), for the grace before dropping unowned entries. */
  private installedAt = 0;
  readonly antiEntropy: AntiEntropy;
  /** Progress of the latest hand-off (GET /v1/status, /metrics). */
  private rebalance: HandoffProgress = newProgress(0, 0);
  private readonly replication: ReplicationBatcher;
  /** Set by close(): loops that wait on peers stop. */
  private closed = false;
  private rebalancing: Promise<void> | undefined;
  /** Members that failed a call recently, until when: calls skip them instead of waiting out a timeout each. */
  private readonly suspects = new Map<string, number>();
  /** When a read last asked a suspected member anyway (mayProbe). */
  private readonly probedAt = new Map<string, number>();
  /** Suspected members probed in the background now (probeLater). */
  private readonly probing = new Set<string>();
  private readonly stalls: StallDetector;

  constructor(private readonly options: ClusterOptions) {
    this.hints = new HintStore(options.hintLimit, options.hintBytes);
    this.stalls = new StallDetector(options.now);
    this.replication = new ReplicationBatcher((address, entries) =>
      options.peers.replicate(address, entries),
    );
    this.antiEntropy = new AntiEntropy({
      selfId: options.selfId,
      replica: options.replica,
      peers: options.peers,
      logger: options.logger,
      placement: () => this.placement,
      mayDropUnowned: () =>
        this.handoffEpoch === this.epoch && this.options.now() - this.installedAt >= options.unownedGraceMs,
      now: options.now,
    });
    this.recovery = new ShareRecovery({
      selfId: options.selfId,
      incarnation: this.incarnation,
      placement: () => this.placement,
      request: (address, epoch, incarnation) => options.peers.requestShare(address, epoch, incarnation),
      logger: options.logger,
      now: options.now,
    });
  }

  /**
   * This node has done its part of the current epoch: its hand-off is complete and, after a
   * restart, its share is back. What the operator and the launcher wait for before publishing.
   */
  get handoffComplete(): boolean {
    return this.placement !== undefined && this.handoffEpoch === this.epoch && !this.recovery.pulling;
  }

  /**
   * A member asks for its share (share-recovery.ts): once this node's hand-off of the epoch is
   * over, stream every entry it is a replica of, unless that hand-off already reached the
   * asking process itself and was made from a ring the member was not in (so it sent all).
   */
  async answerShare(requester: string, epoch: number, incarnation: string): Promise<ShareAnswer> {
    if (epoch !== this.epoch) return { kind: 'other-epoch', epoch: this.epoch };
    await this.rebalancing;
    const placement = this.placement as Placement;
    if (placement.document.epoch !== epoch) return { kind: 'other-epoch', epoch: this.epoch };
    if (!placement.byId.has(requester))
      throw new ApiError(400, 'INVALID_BODY', `${JSON.stringify(requester)} is not a member of the ring`);
    // The hand-off reached the asking process; it carried the member's whole share only if the
    // member owned nothing before (a member of the previous ring got just what it newly owns).
    if (
      this.handoffEpoch === epoch &&
      this.handoffReceipts.get(requester) === incarnation &&
      !(this.handoffFrom?.byId.has(requester) ?? false)
    )
      return { kind: 'covered' };
    const { replica, peers, logger } = this.options;
    const sent = await sendShare(
      {
        replica,
        send: async (to, entries) => void (await peers.apply(this.address(to), entries, undefined, 60_000)),
        onSent: (entries, bytes) => {
          this.counters.shareSent += entries;
          this.counters.shareBytesSent += bytes;
        },
      },
      placement,
      requester,
    );
    logger.info('sent a member its share', { to: requester, epoch, ...sent });
    return { kind: 'sent', ...sent };
  }

  /** The installed ring as built for lookups (anti-entropy routes compare against it). */
  get currentPlacement(): Placement | undefined {
    return this.placement;
  }

  get ring(): RingDocument | undefined {
    return this.placement?.document;
  }

  get epoch(): number {
    return this.placement?.document.epoch ?? 0;
  }

  get active(): boolean {
    return this.placement !== undefined;
  }

  /** Installs a newer ring from the current publisher (admitRing); starts the hand-off to new owners. */
  install(document: RingDocument): RingAdmission {
    const admission = admitRing(this.placement?.document, document);
    if (!admission.install) return admission;
    const previous = this.placement;
    this.placement = placementOf(document);
    this.installedAt = this.options.now();
    this.options.logger.info('ring installed', {
      epoch: document.epoch,
      members: document.members.map((m) => `${m.id}:${m.state}`),
    });
    this.rebalancing = this.handOff(previous, this.placement);
    if (needsShareRecovery(previous, this.placement, this.options.selfId))
      void this.recovery.start(this.placement);
    return admission;
  }

  /**
   * This node's own copy of `key`, for a peer's read; with `withHints`, or a hint it holds for
   * another member if that is newer (a fallback answering for an owner that is down).
   */
  readLocal(key: string, withHints = false): ReplicaEntry | undefined {
    const own = this.options.replica.read(key);
    const hint = withHints ? asOf(this.hints.newestFor(key), this.options.now()) : undefined;
    return hint !== undefined && supersedes(hint, own) ? hint : own;
  }

  /** Waits for the current hand-off (tests, shutdown). */
  async settled(): Promise<void> {
    await this.rebalancing;
  }

  private address(id: string): string {
    const member = this.placement?.byId.get(id);
    if (member === undefined) throw new PeerError(id, 'not a member of the ring');
    return member.address;
  }

  /**
   * Whether a write of `key` arriving here is coordinated here (this node is its primary, or a
   * replica the request was forwarded to): a precondition that this node's copy already refuses
   * (refusedByAnyCopy) may then be answered before the body is read.
   */
  coordinates(key: string, forwarded: boolean): boolean {
    const placement = this.placement;
    if (placement === undefined || this.drained) return false;
    const replicas = replicasOf(placement.ring, key).all;
    return replicas[0] === this.options.selfId || (forwarded && replicas.includes(this.options.selfId));
  }

  async handle(request: KeyRequest): Promise<Reply> {
    const placement = this.placement as Placement;
    const replicas = replicasOf(placement.ring, request.key);
    const self = this.options.selfId;
    const isReplica = replicas.all.includes(self);
    // A compare-and-set needs one place that decides it: two coordinators could both see the
    // key absent and both create it. Only the primary coordinates one; none other stands in.
    const primaryOnly =
      request.operation !== 'get' && request.operation !== 'head' && isConditional(request.conditions);
    if (!request.forwarded && replicas.all[0] !== self) {
      // Try the replicas in order, the primary first; coordinate here if it is our turn.
      for (const id of replicas.all) {
        if (id === self) break;
        if (primaryOnly && id !== replicas.all[0]) break;
        if (this.suspected(id)) continue;
        const started = this.options.now();
        try {
          this.counters.forwarded++;
          return await this.forward(id, request);
        } catch (err) {
          if (!(err instanceof PeerError)) throw err;
          this.suspect(id, started);
        }
      }
    }
    if (primaryOnly && replicas.all[0] !== self) {
      throw new ApiError(
        503,
        'UNAVAILABLE',
        `a conditional write of ${JSON.stringify(request.key)} is decided by its primary, ${replicas.all[0]}, which did not answer; retry`,
      );
    }
    if (!isReplica) {
      throw new ApiError(
        503,
        'UNAVAILABLE',
        request.forwarded
          ? 'this node does not hold the key in its ring; retry'
          : `no replica of ${JSON.stringify(request.key)} answered`,
      );
    }
    if (this.drained)
      throw new ApiError(503, 'SHUTTING_DOWN', 'this node has been drained; retry on another node');
    switch (request.operation) {
      case 'get':
      case 'head':
        return this.read(request, replicas);
      case 'put':
        return this.write(request, replicas);
      case 'delete':
        return this.remove(request, replicas);
    }
  }

  private async forward(id: string, request: KeyRequest): Promise<Reply> {
    const method = request.operation.toUpperCase();
    const response = await this.options.peers.forward(
      this.address(id),
      method,
      request.path,
      {
        ...request.passHeaders,
        [HEADER_ELAPSED]: String(Math.max(0, this.options.now() - request.receivedAt)),
      },
      request.value,
      request.deadline,
    );
    // A 503 from a node with no ring (NO_RING: restarted, its ring not back yet; a HEAD's
    // answer has no body to say so) or from its connection limits carries no epoch: the next
    // replica serves instead. A 503 from the coordination itself carries one and is passed on.
    if (response.status === 503 && response.headers['x-ringcache-epoch'] === undefined)
      throw new PeerError(
        this.address(id),
        `answered 503 without a ring epoch (${errorCodeOf(response.body) ?? 'no body'})`,
      );
    const headers: string[] = [];
    for (const name of ['content-type', 'etag', 'x-ttl-ms', 'allow', 'www-authenticate']) {
      const value = response.headers[name];
      if (value !== undefined) headers.push(name, String(value));
    }
    if (request.operation === 'head') {
      const length = response.headers['content-length'];
      if (length !== undefined) headers.push('content-length', String(length));
      return { status: response.status, headers };
    }
    if (response.status === 204 || response.status === 304) return { status: response.status, headers };
    // Framed as the coordinator framed it: a length, not chunks (clients read Content-Length).
    headers.push('content-length', String(response.body.length));
    return { status: response.status, headers, body: response.body };
  }

  private async write(request: KeyRequest, replicas: Replicas): Promise<Reply> {
    const { replica } = this.options;
    if (isConditional(request.conditions)) await this.newestForDecision(request, replicas);
    // From here to the set, nothing awaits: the check and the write are one step.
    checkWritePreconditions(replica.store, request.key, request.conditions);
    const value = request.value ?? new Uint8Array(0);
    const written = {
      contentType: request.contentType ?? DEFAULT_CONTENT_TYPE,
      // From when the first node received it: a forward that failed over does not extend it.
      expiresAt: request.ttlMs === undefined ? 0 : request.receivedAt + request.ttlMs,
      version: replica.store.clock.now(),
    };
    const outcome = replica.store.set(request.key, value, written);
    replica.wrote(request.key);
    // The entry as stored here, or, when the policy evicted it at once (W-TinyLFU refuses a
    // newcomer colder than its victim), the write itself: the other owners may still keep it.
    const entry = replica.read(request.key) ?? {
      key: request.key,
      ...written,
      value: Buffer.from(value),
      tombstone: false,
    };
    await this.replicate(entry, replicas, request.consistency);
    return { status: outcome === 'created' ? 201 : 204, headers: ['ETag', formatEtag(entry.version)] };
  }

  private async remove(request: KeyRequest, replicas: Replicas): Promise<Reply> {
    const { replica } = this.options;
    if (isConditional(request.conditions)) await this.newestForDecision(request, replicas);
    else {
      // Whether there is anything to delete is read at the request's level: a stale tombstone
      // here must not answer 404 while an acknowledged write lives on the other owners.
      const found = await this.newest(request.key, replicas, request.consistency, false);
      if (found.answered < found.needed) throw tooFewAnswers(request.key, request.consistency, found);
    }
    // The newest copy found is now applied here; nothing awaits until the tombstone is set.
    const current = replica.view(request.key);
    if (current === undefined || current.tombstone) throw notFound(request.key);
    if (!writeAllowed(request.conditions, current.version)) {
      throw new ApiError(
        412,
        'PRECONDITION_FAILED',
        `precondition failed for key ${JSON.stringify(request.key)}`,
      );
    }
    const tombstone = replica.delete(request.key);
    await this.replicate(tombstone, replicas, request.consistency);
    return { status: 204, headers: [] };
  }

  private async read(request: KeyRequest, replicas: Replicas): Promise<Reply> {
    const found = await this.newest(request.key, replicas, request.consistency);
    if (found.answered < found.needed) throw tooFewAnswers(request.key, request.consistency, found);
    const entry = found.entry;
    if (entry === undefined || entry.tombstone) throw notFound(request.key);
    const etag = formatEtag(entry.version);
    const { ifMatch, ifNoneMatch } = request.conditions;
    if (ifMatch !== undefined && !etagMatches(ifMatch, entry.version)) {
      throw new ApiError(
        412,
        'PRECONDITION_FAILED',
        `precondition failed for key ${JSON.stringify(request.key)}`,
      );
    }
    if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, entry.version))
      return { status: 304, headers: ['ETag', etag] };
    const headers = [
      'Content-Type',
      entry.contentType,
      'ETag',
      etag,
      'Content-Length',
      String(entry.value.length),
    ];
    if (entry.expiresAt !== 0)
      headers.push('X-TTL-Ms', String(Math.max(1, entry.expiresAt - this.options.now())));
    return { status: 200, headers, body: request.operation === 'get' ? Buffer.from(entry.value) : undefined };
  }

  /**
   * Before a conditional write: brings the newest copy of the key here from a quorum of its
   * owners (all of them under `all`), so the precondition is judged on the newest acknowledged
   * write, not on this node's copy (stale after a pause). Fails with 503 when too few answer.
   */
  private async newestForDecision(request: KeyRequest, replicas: Replicas): Promise<void> {
    const level = request.consistency === 'all' ? 'all' : 'quorum';
    const { answered, needed } = await this.newest(request.key, replicas, level, false);
    if (answered < needed) {
      throw new ApiError(
        503,
        'UNAVAILABLE',
        `a conditional write of ${JSON.stringify(request.key)} needs the copies of ${needed} owners; ${answered} answered — retry`,
      );
    }
  }

  /**
   * The newest copy among this node and the replicas `level` needs; on a local miss every
   * replica that is up is asked (a restarted primary is empty). A replica that fails is replaced
   * by the next one not asked yet until the level has its answers or none is left. Under `one`
   * and `quorum`, answers still missing are asked of fallback nodes for the hints they hold
   * (a write counts such a hint for an owner that is down), then of suspected members
   * (read-plan.ts). Stale owners that answered are
   * repaired, this node included. `answered` counts this node (if an owner in the read view),
   * the other owners of the read view that answered, and the fallbacks that answered for them.
   */
  private async newest(
    key: string,
    replicas: Replicas,
    level: Consistency,
    countsAsRead = true,
  ): Promise<NewestCopy> {
    const { replica, selfId } = this.options;
    // A read counts its hit or miss (stats, admission); a write's look-up does not.
    const hit = countsAsRead ? replica.store.slotOf(key) >= 0 : replica.store.has(key);
    const local = replica.read(key);
    const view = readView(replicas);
    const others = replicas.all.filter((id) => id !== selfId);
    if (level === 'all') {
      // Every owner in the read view must answer: one known to be down fails the read at once.
      const down = view.filter((id) => id !== selfId && this.suspected(id));
      if (down.length > 0) throw unavailableRead(key, down);
    }
    const needed = answersNeeded(level, view, others, selfId);
    const neededInAll = acksNeeded(level, view.length);
    let fallbacks: string[] = [];
    const counted = (answers: readonly PeerAnswer[]) => answersCounted(view, selfId, answers, fallbacks);
    // The owners that are up first (on a miss, all of them), and the rest of the plan
    // (read-plan.ts: fallbacks, then suspected members) only if answers are still short: a
    // healthy read does not even look its fallbacks up.
    const upOwners = readCandidates(others, [], level, (id) => this.suspected(id)).filter(
      (c) => !this.suspected(c.id),
    );
    const answers = await this.askInWaves(
      key,
      upOwners,
      hit ? needed : Math.max(needed, upOwners.length),
      (so) => (level === 'all' ? needed - so.filter((a) => a.ok).length : neededInAll - counted(so)),
    );
    if (level !== 'all' && counted(answers) < neededInAll) {
      fallbacks = this.fallbacks(key, replicas);
      const asked = new Set(answers.map((a) => a.id));
      // A suspected member is asked at most once a suspicion period: a read that needs it
      // waits out one timeout, not every read while it is down.
      const plan = readCandidates(others, fallbacks, level, (id) => this.suspected(id));
      // One not asked now (probed lately) is probed in the background, so its suspicion
      // clears one round trip after it answers again rather than a whole period later.
      for (const c of plan)
        if (!asked.has(c.id) && this.suspected(c.id) && !this.mayProbe(c.id)) this.probeLater(c.id, key);
      const rest = plan.filter((c) => !asked.has(c.id) && (!this.suspected(c.id) || this.mayProbe(c.id)));
      const more = await this.askInWaves(
        key,
        rest,
        neededInAll - counted(answers),
        (so) => neededInAll - counted([...answers, ...so]),
      );
      answers.push(...more);
    }
    const ownerAnswers = answers.filter((a) => !a.withHints);
    if (level === 'all') {
      const silent = ownerAnswers.filter((a) => !a.ok && view.includes(a.id)).map((a) => a.id);
      if (silent.length > 0) throw unavailableRead(key, silent);
    }
    let best = local;
    for (const { entry } of answers) if (entry !== undefined && supersedes(entry, best)) best = entry;
    if (best !== undefined) {
      if (supersedes(best, local)) {
        replica.apply(best);
        this.counters.repaired++;
      }
      for (const { id, entry, ok } of ownerAnswers) {
        if (ok && supersedes(best, entry)) {
          this.counters.repaired++;
          void this.options.peers.apply(this.address(id), [best]).catch(() => this.hints.add(id, best));
        }
      }
    }
    return { entry: best, answered: counted(answers), needed: neededInAll };
  }

  /**
   * Asks `candidates` in order for their copy of `key` (a fallback, `withHints`, for a hint it
   * holds too; a copy past its expiry comes back as a tombstone): `first` at once, then as many
   * as `short` says are still missing after each wave.
   */
  private async askInWaves(
    key: string,
    candidates: readonly ReadCandidate[],
    first: number,
    short: (answers: readonly PeerAnswer[]) => number,
  ): Promise<PeerAnswer[]> {
    const queue = [...candidates];
    const answers: PeerAnswer[] = [];
    for (let wave = first; wave > 0 && queue.length > 0; wave = short(answers)) {
      const started = this.options.now();
      const results = await Promise.all(
        queue.splice(0, wave).map(({ id, withHints }) => {
          if (this.suspected(id)) this.probedAt.set(id, started);
          return this.options.peers.read(this.address(id), key, withHints).then(
            (entry): PeerAnswer => {
              this.suspects.delete(id); // it answers: no reason to skip it any longer
              return { id, withHints, entry: asOf(entry, this.options.now()), ok: true };
            },
            (): PeerAnswer => {
              this.suspect(id, started);
              return { id, withHints, entry: undefined, ok: false };
            },
          );
        }),
      );
      answers.push(...results);
    }
    return answers;
  }

  /** Asks a suspected member for `key` in the background (one at a time); an answer clears it. */
  private probeLater(id: string, key: string): void {
    if (this.probing.has(id)) return;
    this.probing.add(id);
    void this.options.peers
      .read(this.address(id), key)
      .then(
        () => this.suspects.delete(id),
        () => {},
      )
      .finally(() => this.probing.delete(id));
  }

  /** Whether a suspected member may be asked now: at most once a suspicion period. */
  private mayProbe(id: string): boolean {
    const last = this.probedAt.get(id);
    return last === undefined || this.options.now() - last >= SUSPECT_MS;
  }

  /**
   * Sends `entry` to every other replica; resolves once `level` holds in both views (or fails
   * with 503). Under `one` and `quorum` a hint held by a fallback node counts for an owner that
   * is down (a sloppy quorum: the write stays available and durable); `all` counts owners only.
   */
  private replicate(entry: ReplicaEntry, replicas: Replicas, level: Consistency): Promise<void> {
    const self = this.options.selfId;
    const acked = new Set([self]);
    const countsHints = level !== 'all';
    const others = replicas.all.filter((id) => id !== self);
    if (writeSatisfied(replicas, acked, level) && others.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let pending = others.length;
      let done = false;
      const check = () => {
        if (done) return;
        if (writeSatisfied(replicas, acked, level)) {
          done = true;
          resolve();
        } else if (pending === 0) {
          done = true;
          reject(
            new ApiError(
              503,
              'UNAVAILABLE',
              `only ${acked.size} of ${replicas.all.length} replicas acknowledged${countsHints ? '' : ' (hints held for owners that are down do not count under "all")'}; the write may be applied partially — retry`,
            ),
          );
        }
      };
      check();
      for (const id of others) {
        this.sendOrHint(id, entry, replicas).then(
          (held) => {
            if (held === 'owner' || (held === 'hint' && countsHints)) acked.add(id);
            pending--;
            check();
          },
          () => {
            pending--;
            check();
          },
        );
      }
    });
  }

  /**
   * Delivers to `id` ('owner'), or to a fallback node that holds a hint for it ('hint' from the
   * first fallback in ring order, which counts for the owner; 'stored' from a later one, which
   * does not); when none answers, keeps the hint here ('none': nobody else holds the entry yet).
   */
  private async sendOrHint(
    id: string,
    entry: ReplicaEntry,
    replicas: Replicas,
  ): Promise<'owner' | 'hint' | 'stored' | 'none'> {
    const { peers } = this.options;
    if (!this.suspected(id)) {
      const started = this.options.now();
      try {
        await this.replication.apply(this.address(id), entry);
        return 'owner';
      } catch (err) {
        if (!(err instanceof PeerError)) throw err;
        this.suspect(id, started);
      }
    }
    const fallbacks = this.fallbacks(entry.key, replicas);
    for (const fallback of fallbacks) {
      if (this.suspected(fallback)) continue;
      const started = this.options.now();
      try {
        await peers.apply(this.address(fallback), [entry], id);
        // Only the first fallback in ring order stands in for the owner: that is where a quorum
        // read looks (read-plan.ts). A hint further along is kept, but not counted.
        return fallback === fallbacks[0] ? 'hint' : 'stored';
      } catch {
        this.suspect(fallback, started);
      }
    }
    this.hints.add(id, entry);
    this.counters.hintsStored++;
    return 'none';
  }

  /** `id` failed a call made at `started`; unless this process was frozen meanwhile, skip it for a while. */
  private suspect(id: string, started: number): void {
    if (this.stalls.stalledSince(started)) return;
    this.suspects.set(id, this.options.now() + SUSPECT_MS);
  }

  /** Stops the timers (the node is shutting down). */
  close(): void {
    this.closed = true;
    this.recovery.stop();
    this.stalls.close();
  }

  private suspected(id: string): boolean {
    const until = this.suspects.get(id);
    if (until === undefined) return false;
    if (until > this.options.now()) return true;
    this.suspects.delete(id);
    return false;
  }

  /** Members of the next view that are not replicas of `key`, in ring order after its replicas. */
  private fallbacks(key: string, replicas: Replicas): string[] {
    const { ring } = this.placement as Placement;
    return ownersOf(ring, key, ring.eligible[NEXT], NEXT).filter(
      (id) => !replicas.all.includes(id) && id !== this.options.selfId,
    );
  }

  /** A peer's copies: keep the newest; with `hintFor`, hold them for that member instead. */
  applyFromPeer(entries: readonly ReplicaEntry[], hintFor: string | undefined): number {
    if (this.drained) throw new ApiError(503, 'SHUTTING_DOWN', 'this node has been drained');
    let applied = 0;
    for (const entry of entries) {
      if (hintFor !== undefined && hintFor !== this.options.selfId) {
        // Held beyond this request: a copy, not a view that would keep the whole batch alive.
        this.hints.add(hintFor, { ...entry, value: Buffer.from(entry.value) });
        this.counters.hintsStored++;
        applied++;
      } else if (this.options.replica.apply(entry)) applied++;
    }
    return applied;
  }

  /** Delivers held hints to members that answer again. */
  async deliverHints(batchSize = 256): Promise<void> {
    for (const id of this.hints.peers()) {
      if (this.placement === undefined) return;
      if (this.placement.byId.get(id) === undefined) {
        this.rehomeHints(id, batchSize);
        continue;
      }
      const batch = this.hints.pending(id, batchSize);
      try {
        await this.options.peers.apply(this.address(id), batch);
        this.hints.markDelivered(id, batch);
        this.suspects.delete(id);
      } catch {
        // still unreachable; keep the hints
      }
    }
  }

  /**
   * Hints for a member that left the ring go to the keys' owners instead (applied here when
   * this node owns the key, held as hints for the others), so a copy a drained node handed
   * over is not stranded when that node never comes back.
   */
  private rehomeHints(departed: string, batchSize: number, applyHere = true): void {
    const placement = this.placement as Placement;
    const batch = this.hints.pending(departed, batchSize);
    for (const entry of batch) {
      for (const owner of replicasOf(placement.ring, entry.key).all) {
        if (owner !== this.options.selfId) this.hints.add(owner, entry);
        else if (applyHere) this.options.replica.apply(entry);
      }
    }
    this.hints.markDelivered(departed, batch);
  }

  /**
   * A node about to go passes on the writes it holds for other members (hints, including those
   * its own hand-off made for new owners that did not answer): to the member each is for, or,
   * while that one does not answer, to one of `keepers` as a hint for it. Without this, a write
   * acknowledged while an owner was down rests on a single copy once this node stops. Hints for
   * a member no longer in the ring are first re-keyed to the keys' owners. True when none is left.
   */
  private async handOverHints(placement: Placement, keepers: readonly string[]): Promise<boolean> {
    const { peers } = this.options;
    for (const id of this.hints.peers()) {
      // This node is going: what it owns itself is already handed off, so nothing stays here.
      if (!placement.byId.has(id))
        while (this.hints.pending(id, 1).length > 0) this.rehomeHints(id, HINT_BATCH, false);
    }
    const silent = new Set<string>(); // failed once this round: not waited on again
    for (const id of this.hints.peers()) {
      const targets = [id, ...keepers.filter((k) => k !== id)];
      for (
        let batch = this.hints.pending(id, HINT_BATCH);
        batch.length > 0;
        batch = this.hints.pending(id, HINT_BATCH)
      ) {
        let taken = false;
        for (const to of targets) {
          if (this.closed || this.placement !== placement) return false;
          if (silent.has(to)) continue;
          try {
            await peers.apply(this.address(to), batch, to === id ? undefined : id);
            taken = true;
            break;
          } catch (err) {
            if (!(err instanceof PeerError)) throw err;
            silent.add(to);
          }
        }
        if (!taken) return false;
        this.hints.markDelivered(id, batch);
      }
    }
    return this.hints.size === 0;
  }

  /**
   * Backstop for a node stopping outside a membership change (drain.ts): every entry it owns
   * goes to its successors, as a plain copy to those that own the key and as a hint for this
   * node to the others. Resolves when everything was sent (or refused).
   */
  async drain(): Promise<DrainReport> {
    const placement = this.placement;
    const { selfId, replica, peers, logger } = this.options;
    const report: DrainReport = { epoch: this.epoch, copies: 0, hints: 0, failed: 0 };
    const member = placement?.byId.get(selfId);
    if (placement === undefined || member === undefined)
      return { ...report, skipped: 'not a member of a ring' };
    if (member.state === 'leaving' && this.handoffEpoch === this.epoch) {
      return { ...report, skipped: 'already handed off as a leaving member' };
    }
    this.drained = true; // from here on, copies go to the successors, not here
    const successors = ringWithoutSelf(placement.document, selfId);
    const sender = new EntrySender({
      send: ({ to, hintFor }, entries) => peers.apply(this.address(to), entries, hintFor, 30_000),
      onSent: ({ hintFor }, batch) => (report[hintFor === undefined ? 'copies' : 'hints'] += batch.count),
      onFailed: ({ to }, batch, err) => {
        report.failed += batch.count;
        logger.warn('drain: a successor did not take a batch', { to, err });
      },
      inFlight: 2,
    });
    const keys = [...replica.store.keys(), ...replica.tombstoneKeys()];
    for (const key of keys) {
      const owners = replicasOf(placement.ring, key).all;
      if (!owners.includes(selfId)) continue;
      const entry = replica.view(key); // encoded by the adds below before anything awaits
      if (entry === undefined) continue;
      const { copies, hints } = drainTargets(successors, owners, selfId, key);
      const waits = [
        ...copies.map((to) => sender.add({ to }, entry)),
        ...hints.map((to) => sender.add({ to, hintFor: selfId }, entry)),
      ];
      await Promise.all(waits);
    }
    await sender.finish();
    const others = placement.document.members.filter((m) => m.id !== selfId).map((m) => m.id);
    if (!(await this.handOverHints(placement, others))) {
      logger.warn('drain: hints left that no member took', { pending: this.hints.size });
    }
    logger.info('drained', { ...report });
    return report;
  }

  /** Runs the hand-off for `next` (handoff.ts) and records its epoch when it completes. */
  private async handOff(previous: Placement | undefined, next: Placement): Promise<void> {
    const epoch = next.document.epoch;
    this.rebalance = newProgress(epoch, this.options.now());
    const progress = this.rebalance;
    const receipts = new Map<string, string | null>();
    this.handoffReceipts = receipts;
    this.handoffFrom = previous;
    const completed = await handOff(
      {
        selfId: this.options.selfId,
        replica: this.options.replica,
        peers: this.options.peers,
        address: (id) => this.address(id),
        stillCurrent: () => this.placement === next,
        hint: (id, entry) => this.hints.add(id, entry),
        receipt: (to, incarnation) => {
          const before = receipts.get(to);
          receipts.set(to, before === undefined || before === incarnation ? (incarnation ?? null) : null);
        },
        sent: (entries, bytes) => {
          this.counters.rebalanceSent += entries;
          this.counters.rebalanceBytesSent += bytes;
        },
        now: this.options.now,
      },
      previous,
      next,
      progress,
    );
    this.counters.rebalanceKeysScanned += progress.keysScanned;
    if (completed && next.byId.get(this.options.selfId)?.state === 'leaving') {
      // Not done until the writes it holds for others are with a member that stays.
      const keepers = next.document.members
        .filter((m) => m.id !== this.options.selfId && m.state !== 'leaving')
        .map((m) => m.id);
      while (!(await this.handOverHints(next, keepers))) {
        if (this.closed || this.placement !== next) return;
        this.options.logger.warn('hand-off: hints not passed on yet; retrying', { pending: this.hints.size });
        await new Promise((resolve) => setTimeout(resolve, HINT_HANDOVER_RETRY_MS));
      }
    }
    if (completed) {
      this.handoffEpoch = epoch;
      this.options.logger.info('hand-off complete', {
        epoch,
        sent: progress.entriesSent,
        bytes: progress.bytesSent,
        seconds: (progress.finishedAt - progress.startedAt) / 1000,
      });
    }
  }

  status() {
    const member = this.placement?.byId.get(this.options.selfId);
    return {
      epoch: this.epoch,
      state: member?.state ?? 'not a member',
      handoffEpoch: this.handoffEpoch,
      handoffComplete: this.handoffComplete,
      shareRecovery: { ...this.recovery.status, pending: [...this.recovery.status.pending] },
      hints: { pending: this.hints.size, delivered: this.hints.delivered, dropped: this.hints.dropped },
      tombstones: {
        held: this.options.replica.tombstoneCount,
        dropped: this.options.replica.tombstonesDropped,
      },
      rebalance: { ...this.rebalance, done: this.rebalance.finishedAt !== 0 },
      antiEntropy: { ...this.antiEntropy.counters },
      ...this.counters,
    };
  }
}

/** A member's answer to a read: its copy (undefined: none), or `ok` false when it failed. */
interface PeerAnswer extends ReadAnswer {
  entry: ReplicaEntry | undefined;
}

/** What a read found: the newest copy, and how many owners of the read view answered of those the level needs. */
interface NewestCopy {
  entry: ReplicaEntry | undefined;
  answered: number;
  needed: number;
}

/** The `error.code` of a JSON error body, if it is one. */
function errorCodeOf(body: Buffer): string | undefined {
  try {
    return (JSON.parse(body.toString()) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** A read (or a delete's look-up) that fewer owners, or fallbacks for them, answered than `level` needs. */
function tooFewAnswers(key: string, level: Consistency, found: NewestCopy): ApiError {
  return new ApiError(
    503,
    'UNAVAILABLE',
    `read of key ${JSON.stringify(key)} under ${JSON.stringify(level)}: ${found.answered} of the ${found.needed} answers it needs (owners, or fallbacks holding their hints) — retry`,
  );
}

/** A read under `all` that some owners of `key` did not answer. */
function unavailableRead(key: string, silent: readonly string[]): ApiError {
  return new ApiError(
    503,
    'UNAVAILABLE',
    `read of key ${JSON.stringify(key)} under "all": no answer from ${silent.join(', ')} — retry, or read with "quorum"`,
  );
}
