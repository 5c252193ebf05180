/**
 * The operator's Prometheus metrics and its small HTTP server: /metrics, /healthz (the process
 * runs) and /readyz (it has reached the API server; a stand-by is ready too, it is waiting on
 * purpose).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'ringcache_operator_reconciles_total',
    help: 'Reconcile passes, by result (success, error)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'ringcache_operator_reconcile_errors_total',
    help: 'Reconcile passes that failed (retried with backoff)',
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'ringcache_operator_reconcile_duration_seconds',
    help: 'Time of one reconcile pass',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: 'ringcache_operator_is_leader',
    help: '1 while this operator holds the Lease and reconciles, else 0',
    registers: [this.registry],
  });
  readonly ringEpoch = new Gauge({
    name: 'ringcache_operator_ring_epoch',
    help: 'Epoch of the ring last published (or read) per cluster',
    labelNames: ['namespace', 'cluster'] as const,
    registers: [this.registry],
  });
  readonly clusterCondition = new Gauge({
    name: 'ringcache_operator_cluster_condition',
    help: 'Each CacheCluster condition as last written by this leader: 1 True, 0 False, -1 Unknown',
    labelNames: ['namespace', 'cluster', 'type'] as const,
    registers: [this.registry],
  });
  readonly watchLists = new Counter({
    name: 'ringcache_operator_watch_lists_total',
    help: 'Lists made by the watches: one as each starts, one more each time a watch ended and restarted',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });
  readonly ringPublications = new Counter({
    name: 'ringcache_operator_ring_publications_total',
    help: 'Ring documents published',
    labelNames: ['namespace', 'cluster'] as const,
    registers: [this.registry],
  });

  constructor() {
    // Unprefixed process_* and nodejs_*, as the node's: the chart's dashboard queries those names.
    collectDefaultMetrics({ register: this.registry });
    this.isLeader.set(0);
  }
}

export interface ProbeServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function startProbeServer(
  metrics: OperatorMetrics,
  host: string,
  port: number,
  ready: () => boolean,
): Promise<ProbeServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    } else if (path === '/readyz') {
      const ok = ready();
      res
        .writeHead(ok ? 200 : 503, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not reached the API server yet' }));
    } else if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"error":"not found"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
