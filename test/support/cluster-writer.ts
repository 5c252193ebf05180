/** A writer for cluster tests: records which writes were acknowledged, and reads them back. */
import type { Consistency } from '../../node/src/ring/index.js';

/** Where requests go: a LocalCluster, or containers reached through their mapped ports. */
export interface Endpoints {
  url(id: string): string;
}

export interface WriterOptions {
  prefix?: string;
  consistency?: Consistency;
  /** Client bearer token, when the nodes have auth on. */
  token?: string;
}

/**
 * One writer: sequential writes of k0..k(keys-1), round-robin over the nodes `targets()` names.
 * For each key it records the last acknowledged value and any later unacknowledged attempts,
 * which may or may not have landed.
 */
export class Writer {
  readonly acked = new Map<string, string>();
  readonly uncertain = new Map<string, Set<string>>();
  /**
   * Values whose request got no answer at all (timeout, connection cut). The node may still run
   * such a request later, stamping it newer than writes acknowledged since (a paused node does
   * when it resumes), so these stay acceptable after later acknowledgements.
   */
  readonly unanswered = new Map<string, Set<string>>();
  count = 0;
  failures = 0;
  /** Why writes failed: an answer's status and error code, or the error's name, with counts. */
  readonly failureReasons = new Map<string, number>();

  constructor(
    private readonly cluster: Endpoints,
    private readonly targets: () => string[],
    private readonly keys = 100,
    private readonly options: WriterOptions = {},
  ) {}

  private headers(): Record<string, string> {
    return {
      ...(this.options.consistency ? { 'x-consistency': this.options.consistency } : {}),
      ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
    };
  }

  async write(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const key = `${this.options.prefix ?? 'k'}${this.count % this.keys}`;
      const value = `v${this.count}`;
      const ids = this.targets();
      const id = ids[this.count % ids.length];
      this.count++;
      let ok = false;
      let answered = false;
      let reason = '';
      try {
        const response = await fetch(`${this.cluster.url(id)}/v1/keys/${key}`, {
          method: 'PUT',
          body: value,
          headers: this.headers(),
          signal: AbortSignal.timeout(5000),
        });
        answered = true;
        ok = response.status === 201 || response.status === 204;
        const body = await response.text();
        if (!ok) reason = `${response.status} ${/"code":"(\w+)"/.exec(body)?.[1] ?? ''}`.trim();
      } catch (err) {
        ok = false;
        const cause = (err as Error & { cause?: { code?: string } }).cause;
        reason = `${(err as Error).name}${cause?.code ? ` ${cause.code}` : ''}`;
      }
      if (ok) {
        this.acked.set(key, value);
        this.uncertain.delete(key);
      } else {
        this.failures++;
        this.failureReasons.set(reason, (this.failureReasons.get(reason) ?? 0) + 1);
        const set = this.uncertain.get(key) ?? new Set<string>();
        set.add(value);
        this.uncertain.set(key, set);
        if (!answered) this.unanswered.set(key, (this.unanswered.get(key) ?? new Set()).add(value));
      }
    }
  }

  /**
   * Writes in the background until stop() is called or `limits` is reached (a number of
   * writes or a time), whichever comes first; stop() resolves once the last write has ended.
   */
  background(limits: { writes: number; ms: number }): { stop(): Promise<void> } {
    let running = true;
    const last = this.count + limits.writes;
    const deadline = Date.now() + limits.ms;
    const done = (async () => {
      while (running && this.count < last && Date.now() < deadline) await this.write(1);
    })();
    return {
      stop: async () => {
        running = false;
        await done;
      },
    };
  }

  /** Whether `text` read for `key` is its acknowledged value or a later unacknowledged attempt. */
  accepts(key: string, text: string): boolean {
    return (
      text === this.acked.get(key) ||
      (this.uncertain.get(key)?.has(text) ?? false) ||
      (this.unanswered.get(key)?.has(text) ?? false)
    );
  }

  /** Reads every acknowledged key through `via` and returns the keys whose value is wrong. */
  async lost(via: string[]): Promise<string[]> {
    const wrong: string[] = [];
    for (const [key, value] of this.acked) {
      for (const id of via) {
        let text: string;
        try {
          const response = await fetch(`${this.cluster.url(id)}/v1/keys/${key}`, {
            headers: this.headers(),
            signal: AbortSignal.timeout(10_000),
          });
          text = response.status === 200 ? await response.text() : `<${response.status}>`;
        } catch (err) {
          text = `<${(err as Error).name}>`;
        }
        if (!this.accepts(key, text)) wrong.push(`${key} via ${id}: ${text}, acked ${value}`);
      }
    }
    return wrong;
  }
}

/** A node's own copy of `key` (value or tombstone frame), or undefined; read with the peer credential. */
export async function heldBy(
  cluster: Endpoints & { peerToken: string },
  id: string,
  key: string,
): Promise<Buffer | undefined> {
  const response = await fetch(`${cluster.url(id)}/v1/internal/entries/${encodeURIComponent(key)}`, {
    headers: { authorization: `Bearer ${cluster.peerToken}` },
  });
  const body = Buffer.from(await response.arrayBuffer());
  return response.status === 200 ? body : undefined;
}
