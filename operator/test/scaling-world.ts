/**
 * A small simulated world for the scaling state machine: a StatefulSet whose pods become Ready
 * after a delay, nodes that install rings and hand off as the real node does
 * (node/src/cluster/cluster.ts: on a new ring, send what you hold to the owners that are new
 * compared with your previous ring; abandon the hand-off when a newer ring arrives), writes that
 * go to every replica of the latest ring, and checks after every step:
 *
 * - the StatefulSet never runs fewer pods than a member still in the ring needs;
 * - epochs only grow, by one per publication;
 * - no acknowledged write is lost: some live replica always holds its latest version, and once
 *   the ring is settled every replica does.
 */
import { parseRingDocument, type RingDocument } from '../../node/src/ring/document.js';
import { buildRing, replicasOf as ringReplicasOf, type Ring } from '../../node/src/ring/index.js';

interface Placement {
  document: RingDocument;
  ring: Ring;
}
const placementOf = (document: RingDocument, vnodes: number): Placement => ({
  document,
  ring: buildRing(document, { vnodes }),
});
const replicasOf = (placement: Placement, key: string) => ringReplicasOf(placement.ring, key);
import { memberId, ordinalOf } from '../src/names.js';
import { memberStatuses, nextScalingAction, type NodeReport, type ScalingAction } from '../src/scaling.js';

const VNODES = 16;
const KEYS = Array.from({ length: 60 }, (_, i) => `key-${i}`);

interface NodeState {
  data: Map<string, number>;
  placement?: Placement;
  previous?: Placement;
  handoffEpoch: number;
  handoffDueAt?: number;
}

export interface WorldOptions {
  cluster?: string;
  replicationFactor: number;
  /** Deterministic randomness for delays and writes. */
  seed: number;
  /** Most ticks a pod takes to become Ready / a node to finish a hand-off. */
  maxReadyDelay?: number;
  maxHandoffDelay?: number;
}

export class World {
  readonly cluster: string;
  readonly replicationFactor: number;
  desired = 0;
  time = 0;
  statefulSetReplicas = 0;
  ring: RingDocument | undefined;
  readonly published: RingDocument[] = [];
  readonly actions: ScalingAction[] = [];
  private readonly readyAt = new Map<number, number>();
  private readonly nodes = new Map<string, NodeState>();
  /** Latest acknowledged version of each key. */
  private readonly acknowledged = new Map<string, number>();
  private version = 0;
  private random: () => number;

  constructor(private readonly options: WorldOptions) {
    this.cluster = options.cluster ?? 'demo';
    this.replicationFactor = options.replicationFactor;
    let state = options.seed >>> 0 || 1;
    // xorshift32: enough to vary delays reproducibly.
    this.random = () => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state / 2 ** 32;
    };
  }

  private delay(max: number): number {
    return Math.floor(this.random() * (max + 1));
  }

  decide(): ScalingAction {
    const readyPods = [...this.readyAt]
      .filter(([, at]) => at <= this.time)
      .map(([o]) => memberId(this.cluster, o));
    const reports: NodeReport[] = [...this.nodes].map(([id, node]) => ({
      id,
      epoch: node.placement?.document.epoch ?? 0,
      handoffComplete: node.placement !== undefined && node.handoffEpoch === node.placement.document.epoch,
    }));
    return nextScalingAction({
      cluster: this.cluster,
      namespace: 'default',
      desiredReplicas: this.desired,
      replicationFactor: this.replicationFactor,
      statefulSetReplicas: this.statefulSetReplicas,
      readyPods,
      ring: this.ring,
      memberStatus: memberStatuses(this.ring, reports),
    });
  }

  /** One reconcile pass: act until the machine waits or is steady. */
  reconcile(): ScalingAction {
    for (let i = 0; i < 20; i++) {
      const action = this.decide();
      this.actions.push(action);
      if (action.kind === 'wait' || action.kind === 'steady') return action;
      this.apply(action);
    }
    throw new Error('more than 20 actions in one pass: the machine does not settle');
  }

  apply(action: ScalingAction): void {
    switch (action.kind) {
      case 'grow-statefulset':
        expect(action.replicas).toBeGreaterThan(this.statefulSetReplicas);
        for (let o = this.statefulSetReplicas; o < action.replicas; o++) {
          this.readyAt.set(o, this.time + 1 + this.delay(this.options.maxReadyDelay ?? 2));
          this.nodes.set(memberId(this.cluster, o), { data: new Map(), handoffEpoch: 0 });
        }
        this.statefulSetReplicas = action.replicas;
        break;
      case 'shrink-statefulset':
        expect(action.replicas).toBeLessThan(this.statefulSetReplicas);
        for (let o = action.replicas; o < this.statefulSetReplicas; o++) {
          this.readyAt.delete(o);
          this.nodes.delete(memberId(this.cluster, o));
        }
        this.statefulSetReplicas = action.replicas;
        break;
      case 'publish-ring':
        this.publish(action.document);
        break;
      default:
        throw new Error(`not an action to apply: ${action.kind}`);
    }
    this.check();
  }

  private publish(document: RingDocument): void {
    expect(parseRingDocument(JSON.parse(JSON.stringify(document)))).toEqual(document);
    expect(document.epoch).toBe((this.ring?.epoch ?? 0) + 1);
    this.ring = document;
    this.published.push(document);
    if (document.members.length === 0) this.acknowledged.clear(); // scaled to 0: contents dropped
    // The operator pushes the ring to every pod; a node installs it and starts its hand-off,
    // abandoning any hand-off still under way.
    const placement = placementOf(document, VNODES);
    for (const node of this.nodes.values()) {
      node.previous = node.placement;
      node.placement = placement;
      node.handoffDueAt = this.time + this.delay(this.options.maxHandoffDelay ?? 2);
    }
    this.finishHandoffs();
  }

  /** Advances time: pods get Ready, hand-offs finish, clients write. */
  tick(): void {
    this.time++;
    this.finishHandoffs();
    this.write(1 + this.delay(3));
    this.check();
  }

  private finishHandoffs(): void {
    for (const [id, node] of this.nodes) {
      if (node.placement === undefined || node.handoffDueAt === undefined || node.handoffDueAt > this.time)
        continue;
      for (const [key, version] of node.data) {
        const before = node.previous === undefined ? [] : replicasOf(node.previous, key).all;
        for (const owner of replicasOf(node.placement, key).all) {
          if (owner === id || before.includes(owner)) continue;
          this.nodes.get(owner)?.data.set(key, Math.max(version, this.nodes.get(owner)!.data.get(key) ?? 0));
        }
      }
      node.handoffEpoch = node.placement.document.epoch;
      node.handoffDueAt = undefined;
    }
  }

  private write(count: number): void {
    if (this.ring === undefined || this.ring.members.length === 0) return;
    const placement = placementOf(this.ring, VNODES);
    for (let i = 0; i < count; i++) {
      const key = KEYS[Math.floor(this.random() * KEYS.length)];
      const version = ++this.version;
      // Every replica is a live pod (checked), so every write reaches all of them.
      for (const owner of replicasOf(placement, key).all) this.nodes.get(owner)!.data.set(key, version);
      this.acknowledged.set(key, version);
    }
  }

  private check(): void {
    const ring = this.ring;
    if (ring === undefined) return;
    for (const member of ring.members) {
      const ordinal = ordinalOf(this.cluster, member.id);
      expect(ordinal).toBeDefined();
      // The StatefulSet never shrinks below a member that is still in the ring.
      expect(ordinal!).toBeLessThan(this.statefulSetReplicas);
    }
    if (ring.members.length === 0) return;
    const placement = placementOf(ring, VNODES);
    const settled = ring.members.every((m) => this.nodes.get(m.id)?.handoffEpoch === ring.epoch);
    for (const [key, version] of this.acknowledged) {
      const replicas = replicasOf(placement, key).all;
      const holders = replicas.filter((id) => this.nodes.get(id)?.data.get(key) === version);
      if (holders.length === 0)
        throw new Error(`${key}@${version} lost at epoch ${ring.epoch} (${replicas})`);
      if (settled && holders.length !== replicas.length) {
        throw new Error(
          `${key}@${version}: settled epoch ${ring.epoch}, only ${holders} of ${replicas} hold it`,
        );
      }
    }
  }

  /** Reconciles and ticks until steady; returns the ticks it took. */
  runUntilSteady(maxTicks = 200): number {
    for (let ticks = 0; ticks < maxTicks; ticks++) {
      if (this.reconcile().kind === 'steady') return ticks;
      this.tick();
    }
    throw new Error(`not steady after ${maxTicks} ticks: ${JSON.stringify(this.decide())}`);
  }

  /** The ring is exactly members 0..desired-1, all active, and the StatefulSet has that many pods. */
  expectConverged(): void {
    const ids = Array.from({ length: this.desired }, (_, i) => memberId(this.cluster, i));
    expect(this.ring?.members.map((m) => [m.id, m.state]) ?? []).toEqual(ids.map((id) => [id, 'active']));
    expect(this.statefulSetReplicas).toBe(this.desired);
  }

  /** Epochs of every publication, in order: 1, 2, 3, ... */
  expectEpochsGrow(): void {
    expect(this.published.map((d) => d.epoch)).toEqual(this.published.map((_, i) => i + 1));
  }
}
