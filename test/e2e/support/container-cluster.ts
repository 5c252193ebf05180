/**
 * A ringcache cluster in containers: one user-defined Docker network, one container per node,
 * each reachable by its peers under a network alias (as pods are by DNS) and by the test
 * through its mapped port. Faults are Docker's own: kill, pause, network disconnect, stop.
 */
import { randomBytes } from 'node:crypto';
import { getContainerRuntimeClient, Network, Wait, type StartedNetwork } from 'testcontainers';
import type { RingDocument } from '../../../node/src/ring/index.js';
import { waitFor } from '../../support/node-process.js';
import { RingcacheContainer } from './container.js';
import { containerLogs } from './logs.js';

const PORT = 8080;

export interface ClusterNode {
  /** Node id, network alias and host of its ring address. */
  id: string;
  containerId: string;
  /** Host port mapped to 8080; it can change when the container starts again. */
  port: number;
}

export class ContainerCluster {
  readonly nodes = new Map<string, ClusterNode>();
  readonly token = randomBytes(24).toString('hex');
  readonly peerToken = randomBytes(24).toString('hex');
  ring: RingDocument = { epoch: 0, replicationFactor: 2, members: [] };
  private host = 'localhost';

  private constructor(
    private readonly image: string,
    private readonly network: StartedNetwork,
    private readonly env: Record<string, string>,
  ) {}

  /**
   * Starts `size` nodes on a fresh network and publishes a ring of all of them, active. On any
   * failure whatever was started is removed before the error is thrown.
   */
  static async start(
    image: string,
    options: { size: number; replicationFactor: number; env?: Record<string, string> },
  ): Promise<ContainerCluster> {
    const network = await new Network().start();
    const cluster = new ContainerCluster(image, network, options.env ?? {});
    try {
      const ids = Array.from({ length: options.size }, (_, i) => `ringcache-${i}`);
      const started = await Promise.allSettled(ids.map((id) => cluster.startNode(id)));
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      await cluster.publish({
        epoch: 1,
        replicationFactor: options.replicationFactor,
        members: ids.map((id) => ({ id, address: `${id}:${PORT}`, state: 'active' })),
        publisher: { holder: 'e2e-test', leaseTransitions: 0 },
      });
      return cluster;
    } catch (err) {
      await cluster.remove();
      throw err;
    }
  }

  private async startNode(id: string): Promise<void> {
    const started = await new RingcacheContainer(this.image)
      .withReadOnlyRootFilesystem()
      .withNetwork(this.network)
      .withNetworkAliases(id)
      .withExposedPorts(PORT)
      .withEnvironment({
        RINGCACHE_NODE_ID: id,
        RINGCACHE_ADVERTISE_ADDRESS: `${id}:${PORT}`,
        RINGCACHE_TOKEN: this.token,
        RINGCACHE_PEER_TOKEN: this.peerToken,
        ...this.env,
      })
      .withWaitStrategy(Wait.forHttp('/healthz', PORT).forStatusCode(200))
      .withStartupTimeout(120_000)
      .start();
    this.host = started.getHost();
    this.nodes.set(id, { id, containerId: started.getId(), port: started.getMappedPort(PORT) });
  }

  get ids(): string[] {
    return [...this.nodes.keys()];
  }

  url(id: string): string {
    return `http://${this.host}:${this.node(id).port}`;
  }

  private node(id: string): ClusterNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private async container(id: string) {
    const client = await getContainerRuntimeClient();
    return client.container.getById(this.node(id).containerId);
  }

  /** Installs `ring` on every node given (through its mapped port) and waits until each serves it. */
  async publish(ring: RingDocument, ids = this.ids): Promise<void> {
    this.ring = ring;
    const body = JSON.stringify(ring);
    await Promise.all(
      ids.map(async (id) => {
        const response = await fetch(`${this.url(id)}/v1/ring`, {
          method: 'PUT',
          body,
          headers: { authorization: `Bearer ${this.peerToken}`, 'content-type': 'application/json' },
          signal: AbortSignal.timeout(10_000),
        });
        // 409: the node already holds this epoch (a restarted node learns it from its peers'
        // requests, which may beat this PUT); the wait below checks the epoch either way.
        if (response.status !== 200 && response.status !== 409)
          throw new Error(`PUT /v1/ring on ${id}: ${response.status} ${await response.text()}`);
      }),
    );
    await waitFor(`epoch ${ring.epoch} on ${ids.join(', ')}`, async () => {
      const epochs = await Promise.all(ids.map((id) => this.epochOf(id).catch(() => -1)));
      return epochs.every((e) => e === ring.epoch);
    });
  }

  async epochOf(id: string): Promise<number> {
    const response = await fetch(`${this.url(id)}/v1/ring`, {
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(5000),
    });
    return (response.json() as Promise<RingDocument>).then((ring) => ring.epoch);
  }

  /** ringcache_hints_stored_total of a node: copies it kept for a member that did not answer. */
  async hintsStored(id: string): Promise<number> {
    const text = await (await fetch(`${this.url(id)}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const match = /^ringcache_hints_stored_total (\d+)$/m.exec(text);
    if (match === null) throw new Error(`no ringcache_hints_stored_total in the metrics of ${id}`);
    return Number(match[1]);
  }

  /** `docker kill` (SIGKILL): the node dies with whatever it held in memory. */
  async kill(id: string): Promise<void> {
    await (await this.container(id)).kill({ signal: 'SIGKILL' });
  }

  /** `docker start` of a stopped node: the same identity and alias, empty; gets the current ring. */
  async restart(id: string): Promise<void> {
    await (await this.container(id)).start();
    await this.refreshPort(id);
    await waitFor(
      `${id} to answer again`,
      () =>
        fetch(`${this.url(id)}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status === 200,
          () => false,
        ),
      60_000,
    );
    await this.publish(this.ring, [id]);
  }

  async pause(id: string): Promise<void> {
    await (await this.container(id)).pause();
  }

  async unpause(id: string): Promise<void> {
    await (await this.container(id)).unpause();
  }

  /** `docker network disconnect`: the node loses its peers and its mapped port. */
  async disconnect(id: string): Promise<void> {
    const client = await getContainerRuntimeClient();
    await client.network.getById(this.network.getId()).disconnect({ Container: this.node(id).containerId });
  }

  /** `docker network connect` again, under the same alias. */
  async reconnect(id: string): Promise<void> {
    const client = await getContainerRuntimeClient();
    await client.container.connectToNetwork(
      await this.container(id),
      client.network.getById(this.network.getId()),
      [id],
    );
    await this.refreshPort(id);
  }

  /** `docker stop -t <graceSeconds>`: SIGTERM, then SIGKILL once the grace is over. */
  async stop(id: string, graceSeconds: number): Promise<void> {
    await (await this.container(id)).stop({ t: graceSeconds });
  }

  /** How the container's process ended (after stop or kill). */
  async exitState(id: string): Promise<{ running: boolean; exitCode: number; oomKilled: boolean }> {
    const state = (await (await this.container(id)).inspect()).State;
    return { running: state.Running, exitCode: state.ExitCode, oomKilled: state.OOMKilled };
  }

  async logs(id: string): Promise<string> {
    return containerLogs(await this.container(id));
  }

  private async refreshPort(id: string): Promise<void> {
    const node = this.node(id);
    const info = await (await this.container(id)).inspect();
    const binding = info.NetworkSettings.Ports[`${PORT}/tcp`]?.[0];
    if (binding === undefined) throw new Error(`${id} has no host port for ${PORT}`);
    node.port = Number(binding.HostPort);
  }

  /** Removes every container (paused ones included) and then the network; never throws. */
  async remove(): Promise<void> {
    const client = await getContainerRuntimeClient();
    await Promise.all(
      [...this.nodes.values()].map(async ({ containerId }) => {
        const container = client.container.getById(containerId);
        await container.unpause().catch(() => undefined); // a paused container cannot be killed
        await container.remove({ force: true, v: true }).catch(() => undefined);
      }),
    );
    this.nodes.clear();
    await this.network.stop().catch(() => undefined);
  }
}
