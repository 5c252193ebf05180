/**
 * The node's Prometheus metrics. Store figures are read from `store.stats()` when scraped
 * (nothing on the hot path); request durations go into a histogram made for the hot path
 * (durations.ts).
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DurationHistogram } from './durations.js';
import type { CacheStore } from '../store/types.js';

export const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

export interface NodeMetrics {
  registry: Registry;
  duration: DurationHistogram;
  observe(operation: string, status: number, seconds: number): void;
  connectionRejected(reason: 'limit' | 'shutdown'): void;
}

export function createNodeMetrics(store: CacheStore): NodeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const storeCounter = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  const storeGauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  storeCounter('ringcache_cache_hits_total', 'Key reads that found a live entry.', () => store.stats().hits);
  storeCounter('ringcache_cache_misses_total', 'Key reads that found nothing.', () => store.stats().misses);
  storeCounter(
    'ringcache_cache_evictions_total',
    'Entries removed by the eviction policy to stay under max memory.',
    () => store.stats().evictions,
  );
  storeCounter(
    'ringcache_cache_expirations_total',
    'Entries removed because their TTL ran out.',
    () => store.stats().expirations,
  );
  storeGauge(
    'ringcache_cache_bytes',
    'Counted bytes resident: keys, values and per-entry overhead.',
    () => store.stats().bytes,
  );
  storeGauge(
    'ringcache_cache_max_bytes',
    'The configured bound on counted bytes.',
    () => store.stats().maxMemory,
  );
  storeGauge('ringcache_cache_keys', 'Entries resident.', () => store.stats().keys);
  storeGauge(
    'ringcache_cache_window_share',
    "Share of the cache in W-TinyLFU's recency window, as it adapts to the workload (1 for lru).",
    () => store.stats().windowShare,
  );

  const duration = new DurationHistogram(
    'ringcache_http_request_duration_seconds',
    'Time from request arrival to the response being handed to the socket, by operation and status.',
    DURATION_BUCKETS,
  ).register(registry);
  const rejected = new Counter({
    name: 'ringcache_http_rejected_connections_total',
    help: 'Connections refused with 503: over --max-connections, or arriving during shutdown.',
    labelNames: ['reason'],
    registers: [registry],
  });

  return {
    registry,
    duration,
    observe: (operation, status, seconds) => duration.observe(operation, status, seconds),
    connectionRejected(reason) {
      rejected.inc({ reason });
    },
  };
}
