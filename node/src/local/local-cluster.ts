/**
 * A cluster of real node processes on 127.0.0.1, and the publisher of its ring: what
 * `ringcache local` runs, and what the cluster tests drive. Membership changes follow the
 * drain protocol the operator uses (docs/cluster.md): a new node joins, receives its share and
 * becomes active; a leaving node hands off everything before it is removed and stopped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RingDocument, RingMember } from '../ring/document.js';

// From node/src/local (tests) or dist/node/src/local (the CLI): bin/ is at the repository root.
const CLI = fileURLToPath(
  new URL('../../../bin/ringcache.js', import.meta.url).href.replace('/dist/bin/', '/bin/'),
);

export interface LocalNode {
  id: string;
  port: number;
  /** host:port the node listens on (clients and the launcher use it). */
  address: string;
  /** host:port the ring gives peers for it: `address` unless a harness puts a proxy in between. */
  ringAddress: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export interface LocalClusterOptions {
  basePort?: number;
  replicationFactor?: number;
  /** Extra flags for every node. */
  nodeArgs?: string[];
  /** Extra flags for node itself in every node process (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  execArgv?: string[];
  host?: string;
  /** Where node logs go (default: discarded). */
  onLog?: (id: string, line: string) => void;
  token?: string;
  /**
   * The address peers are told to reach a node at (default: where it listens). A test harness
   * puts a TCP proxy there to cut links between nodes while clients still reach every node.
   */
  ringAddress?: (node: { id: string; address: string }) => Promise<string> | string;
}

export class LocalCluster {
  readonly nodes = new Map<string, LocalNode>();
  readonly peerToken = randomBytes(24).toString('hex');
  ring: RingDocument;
  private nextOrdinal = 0;
  /** Nodes spawned and not yet listening: not in `nodes`, but stop() must not leave them running. */
  private readonly starting = new Set<ChildProcess>();

  constructor(private readonly options: LocalClusterOptions = {}) {
    this.ring = { epoch: 0, replicationFactor: options.replicationFactor ?? 2, members: [] };
  }

  private get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  /**
   * Starts `count` nodes and publishes them as active members (a new, empty cluster). If any
   * node fails to start, the ones that did are stopped and the first failure is thrown.
   */
  async start(count: number): Promise<void> {
    const results = await Promise.allSettled(Array.from({ length: count }, () => this.spawnNode()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await this.stop();
      throw failed.reason;
    }
    const started = results.map((r) => (r as PromiseFulfilledResult<LocalNode>).value);
    await this.publish([...this.ring.members, ...started.map((n) => member(n, 'active'))]);
  }

  url(id: string): string {
    return `http://${(this.nodes.get(id) as LocalNode).address}`;
  }

  async spawnNode(id = `local-${this.nextOrdinal++}`, port?: number): Promise<LocalNode> {
    const base = this.options.basePort;
    // Base port 0 (or none): every node picks a free port, not 0 + i.
    const chosenPort = port ?? (base === undefined || base === 0 ? 0 : base + Number(id.split('-').at(-1)));
    const child = spawn(
      process.execPath,
      [
        ...(this.options.execArgv ?? []),
        CLI,
        'node',
        '--host',
        this.host,
        '--port',
        String(chosenPort),
        '--node-id',
        id,
        ...(this.options.nodeArgs ?? []),
      ],
      {
        env: this.nodeEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.starting.add(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The last lines a node wrote, to say why it stopped if it dies before listening.
    const recent: string[] = [];
    const keep = (line: string) => {
      if (line.trim() === '') return;
      recent.push(line.trim());
      if (recent.length > 5) recent.shift();
    };
    const actualPort = await new Promise<number>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        this.options.onLog?.(id, line);
        keep(line);
        const match = /"msg":"listening","url":"http:\/\/[^"]*:(\d+)"/.exec(line);
        if (match) resolve(Number(match[1]));
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        this.options.onLog?.(id, chunk.toString());
        for (const line of chunk.toString().split('\n')) keep(line);
      });
      void exited.then((code) => {
        const why = recent.length === 0 ? '' : `: ${recent.join(' | ')}`;
        reject(new Error(`node ${id} (port ${chosenPort}) exited with ${code} before listening${why}`));
      });
    }).finally(() => this.starting.delete(child));
    const address = `${this.host}:${actualPort}`;
    const ringAddress = (await this.options.ringAddress?.({ id, address })) ?? address;
    const node: LocalNode = { id, port: actualPort, address, ringAddress, child, exited };
    this.nodes.set(id, node);
    return node;
  }

  /** Publishes a new epoch to every running node (retried until each has it or is gone). */
  async publish(members: RingMember[]): Promise<void> {
    this.ring = {
      ...this.ring,
      epoch: this.ring.epoch + 1,
      members,
      publisher: { holder: 'ringcache-local', leaseTransitions: 0 },
    };
    const body = JSON.stringify(this.ring);
    await Promise.all(
      [...this.nodes.values()].map(async (node) => {
        for (
          let attempt = 0;
          attempt < 20 && node.child.exitCode === null && node.child.signalCode === null;
          attempt++
        ) {
          try {
            const response = await fetch(`http://${node.address}/v1/ring`, {
              method: 'PUT',
              body,
              headers: { authorization: `Bearer ${this.peerToken}`, 'content-type': 'application/json' },
              signal: AbortSignal.timeout(2000),
            });
            if (response.status === 200 || response.status === 409) return;
          } catch {
            // not answering (paused or restarting): retry
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }),
    );
  }

  /** Every running member has done its part of the current epoch (hand-off, share recovery). */
  async handedOff(ids = this.runningIds()): Promise<boolean> {
    return (await this.notHandedOff(ids)).length === 0;
  }

  /** The members of `ids` that have not done their part of the current epoch yet. */
  private async notHandedOff(ids: string[]): Promise<string[]> {
    const statuses = await Promise.all(ids.map((id) => this.status(id).catch(() => undefined)));
    return ids.filter(
      (_, i) => !(statuses[i]?.cluster.epoch === this.ring.epoch && statuses[i]?.cluster.handoffComplete),
    );
  }

  /**
   * A membership change waits for every member's part of the hand-off (streaming a joiner's
   * share, recovering a new share from the previous owners), which a member whose process died
   * never does: refused at once, naming it, instead of timing out.
   */
  private requireAllRunning(change: string): void {
    const running = new Set(this.runningIds());
    const dead = this.ring.members.map((m) => m.id).filter((id) => !running.has(id));
    if (dead.length > 0) {
      throw new Error(`${dead.join(', ')} not running: restart it (restart <id>) before ${change}`);
    }
  }

  /** Nodes whose process is running. */
  private runningIds(): string[] {
    return [...this.nodes.values()]
      .filter((n) => n.child.exitCode === null && n.child.signalCode === null)
      .map((n) => n.id);
  }

  /** The environment of a node: this one's, with the cluster's peer token and its client token (if any) in place of a token file. */
  private nodeEnv(): NodeJS.ProcessEnv {
    // RINGCACHE_PARENT_PID: the node stops if this process dies, even by SIGKILL (node-command.ts).
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RINGCACHE_PEER_TOKEN: this.peerToken,
      RINGCACHE_PARENT_PID: String(process.pid),
    };
    delete env.RINGCACHE_PEER_TOKEN_FILE;
    if (this.options.token) {
      env.RINGCACHE_TOKEN = this.options.token;
      delete env.RINGCACHE_TOKEN_FILE;
    }
    return env;
  }

  async status(id: string): Promise<{
    cluster: { handoffEpoch: number; handoffComplete: boolean; epoch: number };
    store: { keys: number };
  }> {
    const response = await fetch(`${this.url(id)}/v1/status`, {
      headers: this.options.token ? { authorization: `Bearer ${this.options.token}` } : {},
      signal: AbortSignal.timeout(2000),
    });
    return response.json() as Promise<{
      cluster: { handoffEpoch: number; handoffComplete: boolean; epoch: number };
      store: { keys: number };
    }>;
  }

  private async waitHandedOff(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const pending = await this.notHandedOff(this.runningIds());
      if (pending.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `hand-off of epoch ${this.ring.epoch} not done within ${deadlineMs} ms (waiting for ${pending.join(', ')})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Adds a node: joining until every member has streamed its share, then active. */
  async add(deadlineMs = 60_000): Promise<string> {
    // Members stream the joiner's share, and a dead one never would finish: say so at once.
    this.requireAllRunning('adding a node');
    const node = await this.spawnNode();
    await this.publish([...this.ring.members, member(node, 'joining')]);
    await this.waitHandedOff(deadlineMs);
    await this.publish(this.ring.members.map((m) => (m.id === node.id ? { ...m, state: 'active' } : m)));
    return node.id;
  }

  /** Removes a node: leaving until it (and everyone) has handed off, then out of the ring, then stopped. */
  async remove(id: string, deadlineMs = 60_000): Promise<void> {
    if (!this.ring.members.some((m) => m.id === id)) {
      const ids = this.ring.members.map((m) => m.id).join(', ') || 'none';
      throw new Error(`no member ${id} in the ring (members: ${ids})`);
    }
    this.requireAllRunning(`removing ${id}`);
    await this.publish(this.ring.members.map((m) => (m.id === id ? { ...m, state: 'leaving' } : m)));
    await this.waitHandedOff(deadlineMs);
    await this.publish(this.ring.members.filter((m) => m.id !== id));
    await this.stopNode(id);
  }

  async stopNode(id: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.nodes.delete(id);
    if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill(signal);
    await node.exited;
  }

  /** Restarts a (killed) member on the same port, empty, and gives it the current ring. */
  async restart(id: string): Promise<void> {
    if (!this.ring.members.some((m) => m.id === id)) throw new Error(`no member ${id} in the ring`);
    const old = this.nodes.get(id);
    const port = old?.port;
    if (old) await this.stopNode(id, 'SIGKILL');
    const node = await this.spawnNode(id, port);
    await fetch(`http://${node.address}/v1/ring`, {
      method: 'PUT',
      body: JSON.stringify(this.ring),
      headers: { authorization: `Bearer ${this.peerToken}`, 'content-type': 'application/json' },
    });
  }

  /** Kills every node at once, synchronously (for a launcher's 'exit' handler). */
  killAll(): void {
    for (const child of [...this.starting, ...[...this.nodes.values()].map((n) => n.child)]) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  async stop(): Promise<void> {
    const starting = [...this.starting].map(async (child) => {
      child.kill('SIGKILL');
      await exitOf(child);
    });
    await Promise.all([...[...this.nodes.keys()].map((id) => this.stopNode(id, 'SIGKILL')), ...starting]);
  }
}

function member(node: LocalNode, state: RingMember['state']): RingMember {
  return { id: node.id, address: node.ringAddress, state };
}

/** Waits for a child to exit (used by callers that signal nodes themselves). */
export async function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}
