/**
 * A writer for the Kubernetes end-to-end test: sequential quorum writes of keys k0..k(keys-1)
 * over real HTTP to whichever pods `targets()` names at the time, with the clients' bearer token.
 * It records each key's last acknowledged value and the later unacknowledged attempts (which may
 * or may not have landed), so reading back can tell a lost write from an uncertain one.
 */
import { request } from 'node:http';

export interface KeyWriterOptions {
  token: string;
  keys: number;
  prefix?: string;
}

interface Answer {
  status: number;
  body: string;
}

/** One request to a node; never throws for an HTTP status, only for a failed connection or timeout. */
export function nodeRequest(url: string, token: string, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        headers: { authorization: `Bearer ${token}`, 'x-consistency': 'quorum' },
        timeout: 5000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

export class KeyWriter {
  readonly acked = new Map<string, string>();
  readonly uncertain = new Map<string, Set<string>>();
  count = 0;
  failures = 0;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly targets: () => string[],
    private readonly opts: KeyWriterOptions,
  ) {}

  /** Writes `n` values, one after another. */
  async write(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.writeOne();
  }

  /** Writes in the background until stop(), at most `max` values. */
  start(max: number): void {
    this.stopping = false;
    this.running = (async () => {
      for (let i = 0; i < max && !this.stopping; i++) await this.writeOne();
    })();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async writeOne(): Promise<void> {
    const key = `${this.opts.prefix ?? 'k'}${this.count % this.opts.keys}`;
    const value = `v${this.count}`;
    const urls = this.targets();
    const url = urls[this.count % urls.length];
    this.count++;
    let ok = false;
    try {
      const { status } = await nodeRequest(`${url}/v1/keys/${key}`, this.opts.token, 'PUT', value);
      ok = status === 201 || status === 204;
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

  /** Reads every acknowledged key (quorum) through each of `urls`; returns those whose value is wrong. */
  async lost(urls: string[]): Promise<string[]> {
    const wrong: string[] = [];
    for (const [key, value] of this.acked) {
      for (const url of urls) {
        let text: string;
        try {
          const r = await nodeRequest(`${url}/v1/keys/${key}`, this.opts.token);
          text = r.status === 200 ? r.body : `<${r.status}>`;
        } catch (err) {
          text = `<${(err as Error).message}>`;
        }
        if (text !== value && !this.uncertain.get(key)?.has(text)) wrong.push(`${key} via ${url}: ${text}, acked ${value}`);
      }
    }
    return wrong;
  }
}
