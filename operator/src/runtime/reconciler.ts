/**
 * One reconcile pass of one CacheCluster, level-based: read everything fresh, apply the built
 * objects (server-side apply, field manager `ringcache-operator`), ask the scaling state machine
 * for actions until it says wait or steady, perform them, push the ring to members that lag,
 * write status. Running it twice on the same state changes nothing more.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../node/src/log.js';
import type { RingDocument } from '../../../node/src/ring/document.js';
import {
  authSecret,
  clientService,
  headlessService,
  podDisruptionBudget,
  ringConfigMap,
  selectorString,
  statefulSet,
  tokenFromBytes,
} from '../builders/index.js';
import { CONDITION_TYPES, computeConditions, describe, type ObservedState } from '../conditions.js';
import type { MemberAddressMode } from '../config.js';
import { paths, type KubeClient } from '../kube/client.js';
import {
  authSecretName,
  clientServiceName,
  headlessServiceName,
  memberAddress,
  memberId,
  podDisruptionBudgetName,
  ringConfigMapName,
  statefulSetName,
} from '../names.js';
import { memberStatuses, nextScalingAction, type NodeReport, type ScalingAction } from '../scaling.js';
import { SpecError, clusterContext, specWarnings } from '../spec.js';
import { KIND, type CacheCluster, type ClusterContext, type Condition } from '../types.js';
import type { Leadership } from '../leader/elector.js';
import { restamped, transitionsNeeded, type Publisher } from '../leader/publisher.js';
import type { EventRecorder, EventTarget } from './events.js';
import type { OperatorMetrics } from './metrics.js';
import { nodeReport, nodeRing, pushRing, type NodeTarget } from './nodes.js';
import {
  isReady,
  newestAhead,
  podEndpoint,
  ringFromConfigMap,
  secretValue,
  type PodLike,
} from './observe.js';
import type { HandlerResult } from './workqueue.js';

export const FIELD_MANAGER = 'ringcache-operator';
/** Actions one pass performs at most before it lets the next pass look again. */
const MAX_ACTIONS = 6;

/** Why a pod said nothing about itself (nodes.ts nodeReport). */
interface Silence {
  problem: string;
  credentialRefused?: true;
}

/** Event reasons that describe a lasting state rather than an action: told once while it lasts. */
const STATE_REASONS = new Set([
  'Waiting',
  'SpecWarning',
  'ReconcileError',
  'InvalidSpec',
  'PublisherDeposed',
]);

/** A member that refused a ring with DEPOSED_PUBLISHER, and the node's message. */
interface Refusal {
  id: string;
  message: string;
}

export class NotLeaderError extends Error {
  constructor() {
    super('not the leader any more: the pass stops before writing');
    this.name = 'NotLeaderError';
  }
}

export interface ReconcilerOptions {
  nodeTimeoutMs: number;
  pollMs: number;
  resyncMs: number;
  memberAddress: MemberAddressMode;
}

export class Reconciler {
  /**
   * Per cluster, the last message told for each state-like reason (Waiting, SpecWarning,
   * ReconcileError, InvalidSpec), so a state that persists over many passes is told once.
   * Actions (RingPublished, ScalingUp/Down) are told each time they happen.
   */
  private readonly told = new Map<string, Map<string, string>>();

  constructor(
    private readonly client: KubeClient,
    private readonly events: EventRecorder,
    private readonly metrics: OperatorMetrics,
    private readonly log: Logger,
    private readonly options: ReconcilerOptions,
    /** The Lease holder while this operator leads, else undefined. */
    private readonly leadership: () => Leadership | undefined,
    /**
     * Raises the Lease's leaseTransitions to at least the given count (LeaderElector
     * .raiseTransitions): the leadership to publish under, or undefined when not the leader.
     */
    private readonly raiseTransitions: (atLeast: number) => Promise<Leadership | undefined>,
  ) {}

  async reconcile(key: string): Promise<HandlerResult> {
    const [namespace, name] = key.split('/');
    const cr = (await this.client.get(paths.cacheCluster(namespace, name))) as CacheCluster | undefined;
    if (cr === undefined || (cr.metadata as { deletionTimestamp?: string }).deletionTimestamp) {
      // Deleted: the garbage collector removes what it owns.
      this.metrics.ringEpoch.remove({ namespace, cluster: name });
      for (const type of CONDITION_TYPES)
        this.metrics.clusterCondition.remove({ namespace, cluster: name, type });
      this.told.delete(key);
      return;
    }
    const target: EventTarget = { name, namespace, uid: cr.metadata.uid };
    let ctx: ClusterContext;
    try {
      ctx = clusterContext(cr);
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      // Nothing is built from an invalid spec; a new generation brings a new pass.
      await this.writeStatus(cr, { specError: err.message });
      await this.tell(key, target, 'Warning', 'InvalidSpec', err.message);
      return;
    }
    const observed: Partial<ObservedState> = {};
    try {
      return await this.pass(cr, ctx, target, key, observed);
    } catch (err) {
      if (err instanceof NotLeaderError) return;
      const message = (err as Error).message;
      await this.writeStatus(cr, { ...observed, reconcileError: message }).catch(() => undefined);
      await this.tell(key, target, 'Warning', 'ReconcileError', message);
      throw err;
    }
  }

  private async pass(
    cr: CacheCluster,
    ctx: ClusterContext,
    target: EventTarget,
    key: string,
    observed: Partial<ObservedState>,
  ): Promise<HandlerResult> {
    const { namespace, name, spec } = ctx;
    const warnings = specWarnings(spec);
    if (warnings.length > 0) await this.tell(key, target, 'Warning', 'SpecWarning', warnings.join('; '));
    const tokens = await this.ensureAuthSecret(ctx);
    await this.applyService(ctx, headlessServiceName(name), 'headless', headlessService(ctx));
    await this.applyService(ctx, clientServiceName(name), 'client', clientService(ctx));
    await this.apply(
      paths.podDisruptionBudget(namespace, podDisruptionBudgetName(name)),
      podDisruptionBudget(ctx),
    );

    const sts = await this.client.get(paths.statefulSet(namespace, statefulSetName(name)));
    let replicas: number = sts?.spec?.replicas ?? 0;
    const podList = await this.client.expect({
      path: paths.pods(namespace),
      query: { labelSelector: selectorString(name) },
    });
    const pods = new Map<string, PodLike>(
      (podList.body.items as PodLike[]).map((p) => [p.metadata!.name!, p]),
    );
    const readyPods = [...pods.values()].filter(isReady).map((p) => p.metadata!.name!);
    const stored = await this.client.get(paths.configMap(namespace, ringConfigMapName(name)));
    let ring = ringFromConfigMap(stored) ?? statusRing(cr, spec.replicationFactor);
    let ringVersion: string | undefined = stored?.metadata?.resourceVersion;
    Object.assign(observed, {
      desiredReplicas: spec.replicas,
      replicationFactor: spec.replicationFactor,
      ring,
      readyPods,
    });

    const targetOf = (id: string): NodeTarget | undefined => {
      const endpoint = pods.get(id) ? podEndpoint(pods.get(id)!) : undefined;
      return endpoint === undefined ? undefined : { id, endpoint };
    };
    // Every pod is asked, members or not: a node may hold a ring newer than the record.
    const asked = [...new Set([...(ring?.members.map((m) => m.id) ?? []), ...pods.keys()])];
    const silent = new Map<string, Silence>();
    let reports = await this.reports(asked, targetOf, tokens.client, silent);
    const ahead = newestAhead(ring, [...reports.values()]);
    if (ahead !== undefined) {
      // The record (ConfigMap and status.ring) is behind the nodes: both were lost or rolled
      // back. Publishing from it would be refused by those nodes (epochs only grow), so the
      // newest ring a node holds becomes the record, and scaling continues from it.
      const adopted = await nodeRing(targetOf(ahead.id)!, tokens.client, this.options.nodeTimeoutMs);
      if (adopted !== undefined && adopted.epoch > (ring?.epoch ?? 0)) {
        ringVersion = await this.record(ctx, adopted, ringVersion);
        await this.tell(
          key,
          target,
          'Warning',
          'RingAdopted',
          `ring epoch ${adopted.epoch} adopted from ${ahead.id}: the published record (epoch ${ring?.epoch ?? 'none'}) was behind the nodes`,
        );
        ring = adopted;
        observed.ring = ring;
      }
    }
    // A Lease created afresh (the operator re-installed, its namespace deleted) counts fewer
    // transitions than the publisher on record: nodes would refuse every ring published under it.
    await this.fence([ring?.publisher]);
    // Members that refused the ring now in `ring` as from a deposed publisher.
    let deposed: Refusal[] = [];
    if (ring !== undefined) {
      // A member behind the published epoch (a push that failed, a restarted node) gets it again.
      const current = ring;
      const lagging = current.members.filter((m) => (reports.get(m.id)?.epoch ?? -1) < current.epoch);
      if (lagging.length > 0) {
        deposed = await this.push(
          current,
          lagging.map((m) => m.id),
          targetOf,
          tokens.peer,
        );
        if (deposed.length > 0) {
          const again = await this.republish(ctx, current, deposed, reports, ringVersion, targetOf, tokens);
          if (again !== undefined) {
            ({ version: ringVersion, deposed } = again);
            ring = again.document;
            observed.ring = ring;
            await this.tell(
              key,
              target,
              'Warning',
              'RingRepublished',
              `ring epoch ${current.epoch} was refused by ${again.refusedBy.join(', ')} as from a deposed publisher; published again as epoch ${ring.epoch} under ${ring.publisher!.holder} (lease transitions ${ring.publisher!.leaseTransitions})`,
            );
          }
        }
        reports = await this.reports(asked, targetOf, tokens.client, silent);
      }
    }

    const actions: ScalingAction[] = [];
    // Told once the StatefulSet apply below succeeded: a refused apply grew or shrank nothing.
    const scalingEvents: ScalingAction[] = [];
    for (let i = 0; i < MAX_ACTIONS; i++) {
      const leader = this.requireLeader();
      const action = nextScalingAction({
        cluster: name,
        namespace,
        desiredReplicas: spec.replicas,
        replicationFactor: spec.replicationFactor,
        statefulSetReplicas: replicas,
        readyPods,
        ring,
        memberStatus: memberStatuses(ring, [...reports.values()]),
        publisher: { holder: leader.holder, leaseTransitions: leader.leaseTransitions },
        addressOf: this.addressOf(ctx, pods),
      });
      actions.push(action);
      if (action.kind === 'wait' || action.kind === 'steady') break;
      if (action.kind === 'publish-ring') {
        ({ version: ringVersion, deposed } = await this.publish(
          ctx,
          action.document,
          ringVersion,
          targetOf,
          tokens.peer,
        ));
        ring = action.document;
        await this.tell(key, target, 'Normal', 'RingPublished', describe(action));
      } else {
        // The StatefulSet is applied once, below, with the replicas the actions arrived at: a
        // shrink follows the publication that took its members out, never the other way round.
        replicas = action.replicas;
        scalingEvents.push(action);
      }
    }
    if (sts !== undefined || replicas > 0) {
      this.requireLeader();
      await this.apply(paths.statefulSet(namespace, statefulSetName(name)), statefulSet(ctx, { replicas }));
    }
    for (const action of scalingEvents) {
      const reason = action.kind === 'grow-statefulset' ? 'ScalingUp' : 'ScalingDown';
      await this.tell(key, target, 'Normal', reason, describe(action));
    }
    let last = actions.at(-1)!;
    // Members the pass could not ask look like hand-offs that never end: say why they are silent.
    const unheard = (ring?.members ?? []).filter((m) => silent.has(m.id));
    if (last.kind === 'wait' && unheard.length > 0) {
      const why = unheard.map((m) => `${m.id}: ${silent.get(m.id)!.problem}`).join('; ');
      last = { kind: 'wait', reason: `${last.reason} (no status from ${why})` };
      actions[actions.length - 1] = last;
    }
    if (last.kind === 'wait') await this.tell(key, target, 'Normal', 'Waiting', last.reason);

    const simpleReports = new Map(
      [...reports].map(([id, r]) => [id, { epoch: r.epoch, handoffComplete: r.handoffComplete }]),
    );
    // A refused credential needs a person (or the kubelet's next Secret sync), not more waiting.
    const refusing = [...silent].filter(([, why]) => why.credentialRefused);
    const refused =
      refusing.length === 0
        ? undefined
        : { members: refusing.map(([id]) => id), message: refusing[0][1].problem };
    Object.assign(observed, { ring, reports: simpleReports, actions, refused });
    if (deposed.length > 0) {
      observed.deposed = { members: deposed.map((r) => r.id), message: deposed[0].message };
      await this.tell(
        key,
        target,
        'Warning',
        'PublisherDeposed',
        `ring epoch ${ring?.epoch} refused by ${observed.deposed.members.join(', ')}: ${observed.deposed.message}`,
      );
    } else {
      this.told.get(key)?.delete('PublisherDeposed');
    }
    await this.writeStatus(cr, observed, pods.size);
    // Not after a loss of leadership during the pass: onStoppedLeading has cleared the gauge.
    if (ring !== undefined && this.leadership() !== undefined)
      this.metrics.ringEpoch.set({ namespace, cluster: name }, ring.epoch);
    this.log.debug('reconciled', { cluster: key, actions: actions.map(describe) });
    // A later failure with the same message is news again.
    this.told.get(key)?.delete('ReconcileError');
    // Hand-offs show only in the nodes' status: poll them. Pods turning Ready come by the watch.
    const polling = (last.kind === 'wait' && !last.untilPodsReady) || actions.length > 1;
    return { requeueAfterMs: polling ? this.options.pollMs : this.options.resyncMs };
  }

  /**
   * Raises the Lease past every publisher in `held` that would depose this leader (see
   * leader/publisher.ts); the leadership to publish under.
   */
  private async fence(held: ReadonlyArray<Publisher | undefined>): Promise<Leadership> {
    const leader = this.requireLeader();
    const needed = transitionsNeeded(leader, held);
    if (needed === undefined) return leader;
    const raised = await this.raiseTransitions(needed);
    if (raised === undefined) throw new NotLeaderError();
    return raised;
  }

  /**
   * Members refused the recorded ring as from a deposed publisher: they hold a ring from a
   * publisher the record does not show (the record lost, or written under a Lease created afresh
   * by an operator without this fence). Raise the Lease past what they hold and publish the
   * record again, one epoch up, under it. Only once every member has finished its hand-off: a
   * newer ring cuts a hand-off short. Undefined when it cannot be done (yet); the refusal then
   * shows as Degraded.
   */
  private async republish(
    ctx: ClusterContext,
    ring: RingDocument,
    refusals: readonly Refusal[],
    reports: ReadonlyMap<string, NodeReport>,
    resourceVersion: string | undefined,
    targetOf: (id: string) => NodeTarget | undefined,
    tokens: { peer?: string; client?: string },
  ): Promise<
    { document: RingDocument; version: string; deposed: Refusal[]; refusedBy: string[] } | undefined
  > {
    const held = await Promise.all(
      refusals.map(async (r) => {
        const target = targetOf(r.id);
        return target && (await nodeRing(target, tokens.client, this.options.nodeTimeoutMs))?.publisher;
      }),
    );
    if (held.some((p) => p === undefined)) return undefined;
    const leader = await this.fence(held);
    if (!ring.members.every((m) => reports.get(m.id)?.handoffComplete === true)) return undefined;
    const document = restamped(ring, leader);
    if (document === undefined) return undefined;
    const { version, deposed } = await this.publish(ctx, document, resourceVersion, targetOf, tokens.peer);
    return { document, version, deposed, refusedBy: refusals.map((r) => r.id) };
  }

  private requireLeader(): Leadership {
    const leader = this.leadership();
    if (leader === undefined) throw new NotLeaderError();
    return leader;
  }

  private async apply(path: string, object: unknown): Promise<void> {
    this.requireLeader();
    await this.client.apply(path, object, FIELD_MANAGER);
  }

  /**
   * Server-side apply of one of the cluster's Services, unless something else controls it. Their
   * names can collide: `<a>-nodes` is the headless Service of a cluster `<a>` and the client
   * Service of a cluster `<a>-nodes`, and the forced apply under one field manager would hand it
   * from one cluster to the other on every pass (selector, owner, DNS of the members).
   */
  private async applyService(
    ctx: ClusterContext,
    name: string,
    role: 'headless' | 'client',
    object: unknown,
  ): Promise<void> {
    const path = paths.service(ctx.namespace, name);
    const existing = await this.client.get(path);
    const references: Array<{ kind?: string; name?: string; controller?: boolean }> =
      existing?.metadata?.ownerReferences ?? [];
    const controller = references.find((r) => r.controller === true);
    if (controller !== undefined && !(controller.kind === KIND && controller.name === ctx.name)) {
      throw new Error(
        `Service ${ctx.namespace}/${name}, this cluster's ${role} Service, is controlled by ${controller.kind} ${controller.name}: rename this CacheCluster (clusters named <a> and <a>-nodes cannot share a namespace: <a>-nodes is the headless Service of <a>)`,
      );
    }
    await this.apply(path, object);
  }

  /** The ring address of a new member: the pod's DNS name, or with --member-address=pod-ip its IP. */
  private addressOf(ctx: ClusterContext, pods: Map<string, PodLike>): (ordinal: number) => string {
    return (ordinal) => {
      const dns = memberAddress(ctx.name, ctx.namespace, ordinal);
      if (this.options.memberAddress === 'dns') return dns;
      const pod = pods.get(memberId(ctx.name, ordinal));
      return (pod && podEndpoint(pod)) ?? dns;
    };
  }

  /**
   * `<cluster>-auth`, created once with fresh tokens and never rewritten; the peer credential
   * from it, and the client token from it or from the user's Secret.
   */
  private async ensureAuthSecret(ctx: ClusterContext): Promise<{ peer?: string; client?: string }> {
    const path = paths.secret(ctx.namespace, authSecretName(ctx.name));
    let secret = await this.client.get(path);
    if (secret === undefined) {
      this.requireLeader();
      const body = authSecret(ctx, {
        token: tokenFromBytes(randomBytes(32)),
        peerToken: tokenFromBytes(randomBytes(32)),
      });
      const answer = await this.client.expect(
        { method: 'POST', path: paths.secrets(ctx.namespace), body, query: { fieldManager: FIELD_MANAGER } },
        [201, 409],
      );
      secret = answer.status === 201 ? answer.body : await this.client.get(path);
    }
    const userSecretName = ctx.spec.auth.secretName;
    const userSecret = userSecretName
      ? await this.client.get(paths.secret(ctx.namespace, userSecretName))
      : secret;
    const client = secretValue(userSecret, 'token');
    if (userSecretName && client === undefined) {
      // The pods mount its "token" key: without it they would wait in ContainerCreating with
      // nothing on the CacheCluster saying why. The pass fails here (Degraded, an event) and is
      // retried until the Secret is there.
      throw new Error(
        userSecret === undefined
          ? `spec.auth.secretName: Secret ${ctx.namespace}/${userSecretName} does not exist; the nodes read their token from its "token" key`
          : `spec.auth.secretName: Secret ${ctx.namespace}/${userSecretName} has no "token" key; the nodes read their token from it`,
      );
    }
    if (client === undefined) {
      // Generated by an operator that left `token` out while spec.auth.secretName was set, and
      // the name removed since: pods rolled onto it would wait in ContainerCreating.
      throw new Error(
        `Secret ${ctx.namespace}/${authSecretName(ctx.name)} has no "token" key (it was generated while spec.auth.secretName named another Secret); the nodes read their token from it once spec.auth.secretName is unset: set spec.auth.secretName again, or add a "token" key of at least 16 characters to it`,
      );
    }
    return { peer: secretValue(secret, 'peer-token'), client };
  }

  /** What each pod reports; `silent` is refilled with why the others said nothing. */
  private async reports(
    ids: readonly string[],
    targetOf: (id: string) => NodeTarget | undefined,
    token: string | undefined,
    silent: Map<string, Silence>,
  ): Promise<Map<string, NodeReport>> {
    const out = new Map<string, NodeReport>();
    silent.clear();
    const answers = await Promise.all(
      ids.map((id) => {
        const target = targetOf(id);
        return target === undefined ? undefined : nodeReport(target, token, this.options.nodeTimeoutMs);
      }),
    );
    // In the order asked, not the order answered: decisions that take the first of equals (the
    // member a ring is adopted from) must not depend on which pod answered first.
    answers.forEach((answer, i) => {
      if (answer === undefined) return;
      if ('report' in answer) out.set(ids[i], answer.report);
      else silent.set(ids[i], answer);
    });
    return out;
  }

  /** PUT /v1/ring to each of `ids`; answers the members that refused it as from a deposed publisher. */
  private async push(
    document: RingDocument,
    ids: string[],
    targetOf: (id: string) => NodeTarget | undefined,
    peerToken: string | undefined,
  ): Promise<Refusal[]> {
    const deposed: Refusal[] = [];
    await Promise.all(
      ids.map(async (id) => {
        const target = targetOf(id);
        if (target === undefined) return;
        const { result, detail } = await pushRing(target, document, peerToken, this.options.nodeTimeoutMs);
        if (result === 'failed')
          this.log.warn('ring push failed; retried next pass', { member: id, epoch: document.epoch, detail });
        if (result === 'deposed') {
          this.log.warn('ring refused: the node holds a ring from a publisher that deposes this one', {
            member: id,
            epoch: document.epoch,
            publisher: document.publisher,
            detail,
          });
          deposed.push({ id, message: detail ?? 'DEPOSED_PUBLISHER' });
        }
      }),
    );
    return deposed.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /**
   * Publication: the ConfigMap first, written with the resourceVersion read (a second operator
   * that wrote meanwhile makes this one fail and re-read, so epochs only grow), then
   * status.ring (written with the rest of status), then PUT /v1/ring to every member.
   */
  private async publish(
    ctx: ClusterContext,
    document: RingDocument,
    resourceVersion: string | undefined,
    targetOf: (id: string) => NodeTarget | undefined,
    peerToken: string | undefined,
  ): Promise<{ version: string; deposed: Refusal[] }> {
    const version = await this.record(ctx, document, resourceVersion);
    this.metrics.ringPublications.inc({ namespace: ctx.namespace, cluster: ctx.name });
    this.log.info('ring published', {
      cluster: `${ctx.namespace}/${ctx.name}`,
      epoch: document.epoch,
      members: document.members.map((m) => `${m.id}:${m.state}`),
    });
    const deposed = await this.push(
      document,
      document.members.map((m) => m.id),
      targetOf,
      peerToken,
    );
    return { version, deposed };
  }

  /**
   * The ring's record, `<cluster>-ring`, written with the resourceVersion read (POST when
   * absent): a second operator that wrote meanwhile makes this one fail with 409 and re-read.
   */
  private async record(
    ctx: ClusterContext,
    document: RingDocument,
    resourceVersion: string | undefined,
  ): Promise<string> {
    this.requireLeader();
    const body = ringConfigMap(ctx, document);
    const answer =
      resourceVersion === undefined
        ? await this.client.expect({
            method: 'POST',
            path: paths.configMaps(ctx.namespace),
            body,
            query: { fieldManager: FIELD_MANAGER },
          })
        : await this.client.expect({
            method: 'PUT',
            path: paths.configMap(ctx.namespace, ringConfigMapName(ctx.name)),
            query: { fieldManager: FIELD_MANAGER },
            body: { ...body, metadata: { ...body.metadata, resourceVersion } },
          });
    return answer.body.metadata.resourceVersion;
  }

  private async writeStatus(
    cr: CacheCluster,
    observed: Partial<ObservedState>,
    podCount?: number,
  ): Promise<void> {
    const previous: Condition[] = cr.status?.conditions ?? [];
    const state: ObservedState = {
      generation: cr.metadata.generation,
      desiredReplicas: observed.desiredReplicas ?? cr.spec?.replicas ?? 0,
      replicationFactor: observed.replicationFactor ?? cr.spec?.replicationFactor ?? 1,
      ring: observed.ring,
      readyPods: observed.readyPods ?? [],
      reports: observed.reports ?? new Map(),
      actions: observed.actions ?? [],
      specError: observed.specError,
      reconcileError: observed.reconcileError,
      deposed: observed.deposed,
      refused: observed.refused,
    };
    const conditions = computeConditions(state, previous, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const status: Record<string, unknown> = {
      observedGeneration: cr.metadata.generation,
      conditions,
      selector: selectorString(cr.metadata.name),
    };
    if (observed.readyPods !== undefined) status.readyReplicas = observed.readyPods.length;
    if (podCount !== undefined) status.replicas = podCount;
    if (observed.ring !== undefined) {
      status.ring = { epoch: observed.ring.epoch, members: observed.ring.members };
      if (observed.ring.publisher) status.leader = observed.ring.publisher.holder;
    }
    this.requireLeader();
    await this.client.expect({
      method: 'PATCH',
      path: `${paths.cacheCluster(cr.metadata.namespace, cr.metadata.name)}/status`,
      body: { status },
      query: { fieldManager: FIELD_MANAGER },
      contentType: 'application/merge-patch+json',
    });
    // For alerts (a scale stuck: Progressing at 1 for long; Ready at 0). Not after a loss of
    // leadership during the pass: onStoppedLeading has cleared the gauge.
    if (this.leadership() === undefined) return;
    const labels = { namespace: cr.metadata.namespace, cluster: cr.metadata.name };
    for (const c of conditions) {
      const value = c.status === 'True' ? 1 : c.status === 'False' ? 0 : -1;
      this.metrics.clusterCondition.set({ ...labels, type: c.type }, value);
    }
  }

  private async tell(
    key: string,
    target: EventTarget,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) {
    if (STATE_REASONS.has(reason)) {
      const told = this.told.get(key) ?? new Map<string, string>();
      this.told.set(key, told);
      if (told.get(reason) === message) return;
      told.set(reason, message);
    }
    this.log.info('event', { cluster: key, type, reason, message });
    await this.events.record(target, type, reason, message);
  }
}

/** The ring as status last recorded it, when the ConfigMap is gone (deleted by hand). */
function statusRing(cr: CacheCluster, replicationFactor: number): RingDocument | undefined {
  const ring = cr.status?.ring;
  if (ring === undefined || ring.epoch === 0) return undefined;
  return { epoch: ring.epoch, replicationFactor, members: ring.members };
}
