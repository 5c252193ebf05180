/**
 * Leader election, the I/O half: every retry period, read the Lease, ask leader/decision.ts, and
 * write what it says with the read resourceVersion (optimistic concurrency: a 409 means someone
 * else wrote first, so read again). A leader that has not renewed within the renew deadline stops
 * at once, by a timer, even while its request to the API server still hangs.
 */
import { paths, type KubeClient } from '../kube/client.js';
import type { Logger } from '../../../node/src/log.js';
import { decideLease, recordKey, releasedSpec, renewDeadlinePassed, type LeaseSpec } from './decision.js';
import { raiseTransitions } from './publisher.js';

export interface ElectorOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  onStartedLeading: () => void;
  onStoppedLeading: (reason: string) => void;
  now?: () => number;
}

export interface Leadership {
  holder: string;
  leaseTransitions: number;
}

interface LeaseObject {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export class LeaderElector {
  private leading = false;
  private lastRenewAt = 0;
  private observed = { key: '\u0001', at: 0 };
  private transitions = 0;
  private timer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Set once the first round has reached the API server: what /readyz reports. */
  reachedApi = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: ElectorOptions,
    private readonly log: Logger,
  ) {}

  private get now(): number {
    return (this.options.now ?? Date.now)();
  }

  isLeader(): boolean {
    return this.leading && !renewDeadlinePassed(this.lastRenewAt, this.now, this.options.renewDeadlineMs);
  }

  /** Who publishes: stamped into every ring document while this candidate leads. */
  leadership(): Leadership {
    return { holder: this.options.identity, leaseTransitions: this.transitions };
  }

  /**
   * Raises the Lease's leaseTransitions to at least `atLeast` while this candidate holds it, so
   * that nodes holding a ring from an earlier Lease (one deleted and created afresh) accept the
   * rings it publishes (leader/publisher.ts). Written with the resourceVersion read: a renewal
   * that wrote first makes it read again. Answers the leadership to publish under, or undefined
   * when this candidate does not hold the Lease.
   */
  async raiseTransitions(atLeast: number): Promise<Leadership | undefined> {
    const { namespace, name, identity } = this.options;
    const path = paths.lease(namespace, name);
    for (let attempt = 1; ; attempt++) {
      if (!this.isLeader()) return undefined;
      const lease = (await this.client.get(path)) as LeaseObject | undefined;
      const decision = raiseTransitions(lease?.spec ?? (lease ? {} : undefined), identity, atLeast);
      if (decision.kind === 'not-holder') return undefined;
      if (decision.kind === 'enough') {
        this.transitions = Math.max(this.transitions, decision.leaseTransitions);
        return this.isLeader() ? this.leadership() : undefined;
      }
      const answer = await this.client.call({
        method: 'PUT',
        path,
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: lease!.metadata,
          spec: decision.spec,
        },
        timeoutMs: this.options.renewDeadlineMs,
      });
      if (answer.status === 200) {
        this.transitions = atLeast;
        this.log.warn('raised the Lease transitions above a ring publisher on record', {
          lease: `${namespace}/${name}`,
          from: lease!.spec?.leaseTransitions ?? 0,
          leaseTransitions: atLeast,
        });
        return this.isLeader() ? this.leadership() : undefined;
      }
      if (answer.status !== 409 || attempt >= 3) {
        throw new Error(
          `raising the transitions of Lease ${namespace}/${name} to ${atLeast}: ${answer.status} ${answer.body?.message ?? answer.text}`,
        );
      }
    }
  }

  start(): void {
    const loop = async (): Promise<void> => {
      if (this.stopped) return;
      this.running = this.round().catch((err) => {
        this.log.warn('lease round failed', { err: (err as Error).message });
      });
      await this.running;
      this.running = undefined;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.options.retryPeriodMs);
    };
    void loop();
  }

  /** One read-decide-write round. */
  async round(): Promise<void> {
    const { namespace, name, identity } = this.options;
    const path = paths.lease(namespace, name);
    // Bounded by the renew deadline: a hung read must not outlast the leadership it would renew.
    const read = await this.client.expect({ path, timeoutMs: this.options.renewDeadlineMs }, [200, 404]);
    const lease = read.status === 404 ? undefined : (read.body as LeaseObject);
    this.reachedApi = true;
    if (this.stopped) return;
    const key = recordKey(lease?.spec ?? (lease ? {} : undefined));
    if (key !== this.observed.key) this.observed = { key, at: this.now };
    const decision = decideLease({
      lease: lease ? (lease.spec ?? {}) : undefined,
      observedAt: this.observed.at,
      now: this.now,
      identity,
      leaseDurationSeconds: Math.ceil(this.options.leaseDurationMs / 1000),
      leading: this.leading,
    });
    switch (decision.kind) {
      case 'wait':
        if (this.leading) this.stopLeading(`the Lease is held by ${decision.holder}`);
        return;
      case 'lost':
        this.stopLeading(`the Lease is held by ${decision.holder}`);
        return;
      case 'acquire':
      case 'renew': {
        const body = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: decision.kind === 'acquire' && decision.create ? { name, namespace } : lease!.metadata,
          spec: decision.spec,
        };
        const create = decision.kind === 'acquire' && decision.create;
        // A renewal counts from when it was sent: an answer that arrives late (a process
        // paused, a slow API server) must not stretch the leadership past what others assume.
        const sentAt = this.now;
        const answer = await this.client.call({
          method: create ? 'POST' : 'PUT',
          path: create ? paths.leases(namespace) : path,
          body,
          timeoutMs: this.options.renewDeadlineMs,
        });
        if (answer.status === 409) return; // someone else wrote first: read again next round
        if (answer.status !== 200 && answer.status !== 201) {
          throw new Error(
            `writing Lease ${namespace}/${name}: ${answer.status} ${answer.body?.message ?? answer.text}`,
          );
        }
        if (this.stopped) return;
        if (renewDeadlinePassed(sentAt, this.now, this.options.renewDeadlineMs)) {
          if (this.leading)
            this.stopLeading(`no renewal within the renew deadline (${this.options.renewDeadlineMs} ms)`);
          return;
        }
        this.transitions = decision.spec.leaseTransitions ?? 0;
        this.observed = { key: recordKey(answer.body?.spec), at: sentAt };
        this.lastRenewAt = sentAt;
        this.armDeadline();
        if (!this.leading) {
          this.leading = true;
          this.log.info('became the leader', {
            lease: `${namespace}/${name}`,
            leaseTransitions: this.transitions,
          });
          this.options.onStartedLeading();
        }
        return;
      }
    }
  }

  /** Fires when the renew deadline passes without a renewal. */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const left = this.lastRenewAt + this.options.renewDeadlineMs - this.now;
    this.deadlineTimer = setTimeout(
      () => {
        if (this.leading)
          this.stopLeading(`no renewal within the renew deadline (${this.options.renewDeadlineMs} ms)`);
      },
      Math.max(0, left),
    );
  }

  private stopLeading(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    clearTimeout(this.deadlineTimer);
    this.log.warn('stopped leading', { reason });
    this.options.onStoppedLeading(reason);
  }

  /** Stops electing; a leader releases the Lease (no holder) so a stand-by takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    const wasLeading = this.leading;
    this.stopLeading('shutting down');
    clearTimeout(this.deadlineTimer);
    if (!wasLeading) return;
    const { namespace, name, identity } = this.options;
    const path = paths.lease(namespace, name);
    try {
      const lease = (await this.client.get(path)) as LeaseObject | undefined;
      if (lease?.spec?.holderIdentity !== identity) return;
      const answer = await this.client.call({
        method: 'PUT',
        path,
        body: { ...lease, spec: releasedSpec(lease.spec, this.now) },
        timeoutMs: this.options.renewDeadlineMs,
      });
      if (answer.status === 200) this.log.info('released the Lease', { lease: `${namespace}/${name}` });
      else
        this.log.warn('could not release the Lease', {
          status: answer.status,
          message: answer.body?.message,
        });
    } catch (err) {
      this.log.warn('could not release the Lease', { err: (err as Error).message });
    }
  }
}
