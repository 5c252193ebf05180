/**
 * List, then watch from the list's resourceVersion, calling `onObject` for every object seen;
 * when the watch ends for any reason (410 Gone, a dropped connection, the server's timeout) list
 * again after a pause. Level-based consumers need nothing more than "this object may have
 * changed": no cache is kept, the reconcile loop reads what it needs fresh.
 */
import type { Logger } from '../../../node/src/log.js';
import type { KubeClient } from './client.js';

export interface WatchOptions {
  path: string;
  labelSelector?: string;
  /** Server-side end of each watch; the loop lists again after it. */
  timeoutSeconds?: number;
  /** Pause before listing again after an error. */
  retryMs?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onObject: (object: any, type: string) => void;
  /** Called on each list: the first, and each after a watch ended. */
  onList?: () => void;
}

export class ListWatch {
  private readonly abort = new AbortController();
  private done: Promise<void> | undefined;
  /** Lists made so far (each start and each restart): tests and logs read it. */
  lists = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly options: WatchOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async loop(): Promise<void> {
    const { signal } = this.abort;
    while (!signal.aborted) {
      try {
        const resourceVersion = await this.list();
        await this.watch(resourceVersion);
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn('watch failed; listing again', {
          path: this.options.path,
          err: (err as Error).message,
        });
      }
      if (!signal.aborted) await sleep(this.options.retryMs ?? 1000, signal);
    }
  }

  private async list(): Promise<string> {
    this.lists++;
    this.options.onList?.();
    const answer = await this.client.expect({
      path: this.options.path,
      query: { labelSelector: this.options.labelSelector },
    });
    for (const item of answer.body.items ?? []) this.options.onObject(item, 'LIST');
    return answer.body.metadata.resourceVersion;
  }

  private async watch(resourceVersion: string): Promise<void> {
    const res = await this.client.stream(
      {
        path: this.options.path,
        query: {
          watch: true,
          resourceVersion,
          allowWatchBookmarks: true,
          labelSelector: this.options.labelSelector,
          timeoutSeconds: this.options.timeoutSeconds ?? 300,
        },
      },
      this.abort.signal,
    );
    if (res.statusCode !== 200) {
      res.resume();
      throw new Error(`watch ${this.options.path}: ${res.statusCode}`);
    }
    let buffered = '';
    res.setEncoding('utf8');
    for await (const chunk of res) {
      buffered += chunk as string;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line === '') continue;
        const event = JSON.parse(line) as { type: string; object: { code?: number; message?: string } };
        if (event.type === 'ERROR') {
          // 410 Gone: the resourceVersion is too old; listing again is the cure for every error.
          throw new Error(`watch ${this.options.path}: ${event.object.code} ${event.object.message}`);
        }
        if (event.type !== 'BOOKMARK') this.options.onObject(event.object, event.type);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
