/**
 * While this operator leads: watches on CacheClusters and on the objects they own (StatefulSets,
 * pods, Services, PodDisruptionBudgets, the ring ConfigMap) feed a work queue keyed
 * `namespace/name`, whose worker runs the reconciler, so an owned object deleted or edited by
 * hand is put back at once, not at the next resync. Secrets are not watched: a watch would need
 * list on every Secret of the watched namespaces; a deleted `<name>-auth` is generated anew on the
 * next pass (any event of the cluster, or the resync). Started when the Lease is won, stopped
 * when it is lost or the process stops (a stand-by watches nothing).
 */
import type { Logger } from '../../../node/src/log.js';
import { COMPONENT, MANAGED_BY } from '../builders/labels.js';
import { paths, type KubeClient } from '../kube/client.js';
import { ListWatch } from '../kube/watch.js';
import type { OperatorMetrics } from './metrics.js';
import type { Reconciler } from './reconciler.js';
import { WorkQueue } from './workqueue.js';

const INSTANCE = 'app.kubernetes.io/instance';
/** The objects this operator made (builders/labels.ts). */
const OWNED = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

interface ObjectLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}

export class Controller {
  private queue: WorkQueue | undefined;
  private watches: ListWatch[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly reconciler: Reconciler,
    private readonly metrics: OperatorMetrics,
    private readonly log: Logger,
    private readonly namespace: string | undefined,
    private readonly watchTimeoutSeconds: number,
  ) {}

  get running(): boolean {
    return this.queue !== undefined;
  }

  start(): void {
    if (this.queue) return;
    const queue = new WorkQueue(
      (key) => this.handle(key),
      (key, err, retryInMs) =>
        this.log.warn('reconcile failed; retrying', { cluster: key, retryInMs, err: (err as Error).message }),
      { baseDelayMs: 500, maxDelayMs: 60_000, concurrency: 2 },
    );
    this.queue = queue;
    const byName = (o: ObjectLike) =>
      o.metadata?.namespace && o.metadata.name && queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
    const byInstance = (o: ObjectLike) => {
      const instance = o.metadata?.labels?.[INSTANCE];
      if (o.metadata?.namespace && instance) queue.add(`${o.metadata.namespace}/${instance}`);
    };
    this.watches = [
      new ListWatch(
        this.client,
        { path: paths.cacheClusters(this.namespace), onObject: byName, ...this.common('cacheclusters') },
        this.log,
      ),
      new ListWatch(
        this.client,
        {
          path: paths.statefulSets(this.namespace),
          labelSelector: OWNED,
          onObject: byInstance,
          ...this.common('statefulsets'),
        },
        this.log,
      ),
      ...(
        [
          ['services', paths.services(this.namespace)],
          ['poddisruptionbudgets', paths.podDisruptionBudgets(this.namespace)],
          ['configmaps', paths.configMaps(this.namespace)],
        ] as const
      ).map(
        ([resource, path]) =>
          new ListWatch(
            this.client,
            { path, labelSelector: OWNED, onObject: byInstance, ...this.common(resource) },
            this.log,
          ),
      ),
      new ListWatch(
        this.client,
        {
          path: paths.pods(this.namespace),
          labelSelector: `app.kubernetes.io/name=ringcache,app.kubernetes.io/component=${COMPONENT}`,
          onObject: byInstance,
          ...this.common('pods'),
        },
        this.log,
      ),
    ];
    for (const watch of this.watches) watch.start();
    this.log.info('reconciling', { namespace: this.namespace ?? '(all)' });
  }

  private common(resource: string) {
    return {
      timeoutSeconds: this.watchTimeoutSeconds,
      onList: () => this.metrics.watchLists.inc({ resource }),
    };
  }

  private async handle(key: string) {
    const started = performance.now();
    try {
      const result = await this.reconciler.reconcile(key);
      this.metrics.reconciles.inc({ result: 'success' });
      return result;
    } catch (err) {
      this.metrics.reconciles.inc({ result: 'error' });
      this.metrics.reconcileErrors.inc();
      throw err;
    } finally {
      this.metrics.reconcileDuration.observe((performance.now() - started) / 1000);
    }
  }

  /** Stops watching and queueing; resolves once passes under way have returned. */
  async stop(): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    queue.shutdown();
    await Promise.all(this.watches.splice(0).map((w) => w.stop()));
    await queue.idle();
  }
}
