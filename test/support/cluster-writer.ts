/** A writer for cluster tests: records which writes were acknowledged, and reads them back. */
import type { Consistency } from '../../node/src/ring/index.js';
import type { LocalCluster } from '../../node/src/local/local-cluster.js';

/**
 * One writer: sequential writes of k0..k(keys-1), round-robin over the nodes `targets()` names.
 * For each key it records the last acknowledged value and any later unacknowledged attempts,
 * which may or may not have landed.
 */
export class Writer {
  readonly acked = new Map<string, string>();
  readonly uncertain = new Map<string, Set<string>>();
  count = 0;
  failures = 0;

  constructor(
    private readonly cluster: LocalCluster,
    private readonly targets: () => string[],
    private readonly keys = 100,
    private readonly options: { prefix?: string; consistency?: Consistency } = {},
  ) {}

  async write(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const key = `${this.options.prefix ?? 'k'}${this.count % this.keys}`;
      const value = `v${this.count}`;
      const ids = this.targets();
      const id = ids[this.count % ids.length];
      this.count++;
      let ok = false;
      try {
        const response = await fetch(`${this.cluster.url(id)}/v1/keys/${key}`, {
          method: 'PUT',
          body: value,
          headers: this.options.consistency ? { 'x-consistency': this.options.consistency } : {},
          signal: AbortSignal.timeout(5000),
        });
        ok = response.status === 201 || response.status === 204;
        await response.arrayBuffer();
      } catch {
        ok = false;
      }
      if (ok) {
        this.acked.set(key, value);
        this.uncertain.delete(key);
      } else {
        this.failures++;
        const set = this.uncertain.get(key) ?? new Set<string>();
        set.add(value);
        this.uncertain.set(key, set);
      }
    }
  }

  /** Reads every acknowledged key through `via` and returns the keys whose value is wrong. */
  async lost(via: string[]): Promise<string[]> {
    const wrong: string[] = [];
    for (const [key, value] of this.acked) {
      for (const id of via) {
        const response = await fetch(`${this.cluster.url(id)}/v1/keys/${key}`);
        const text = response.status === 200 ? await response.text() : `<${response.status}>`;
        if (text !== value && !this.uncertain.get(key)?.has(text))
          wrong.push(`${key} via ${id}: ${text}, acked ${value}`);
      }
    }
    return wrong;
  }
}

/** A node's own copy of `key` (value or tombstone frame), or undefined; read with the peer credential. */
export async function heldBy(cluster: LocalCluster, id: string, key: string): Promise<Buffer | undefined> {
  const response = await fetch(`${cluster.url(id)}/v1/internal/entries/${encodeURIComponent(key)}`, {
    headers: { authorization: `Bearer ${cluster.peerToken}` },
  });
  const body = Buffer.from(await response.arrayBuffer());
  return response.status === 200 ? body : undefined;
}
