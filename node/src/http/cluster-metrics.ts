/**
 * The cluster's Prometheus metrics, read from the cluster's counters when scraped (nothing on
 * the request path): ring epoch, forwarding, repair, hints, hand-off and anti-entropy.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Cluster } from '../cluster/cluster.js';

type Status = ReturnType<Cluster['status']>;

export function registerClusterMetrics(registry: Registry, cluster: Cluster): void {
  const read = (name: string, help: string, kind: 'counter' | 'gauge', value: (s: Status) => number) => {
    const collect = function (this: Counter | Gauge) {
      const v = value(cluster.status());
      if (this instanceof Counter) {
        this.reset();
        this.inc(v);
      } else this.set(v);
    };
    if (kind === 'counter') new Counter({ name, help, registers: [registry], collect });
    else new Gauge({ name, help, registers: [registry], collect });
  };
  read('ringcache_ring_epoch', 'Epoch of the installed ring document (0: none).', 'gauge', (s) => s.epoch);
  read(
    'ringcache_handoff_complete',
    '1 when this node finished streaming its entries to new owners for the installed epoch (and, after a restart, got its share back).',
    'gauge',
    (s) => (s.handoffComplete ? 1 : 0),
  );
  read(
    'ringcache_share_recovery_pending_members',
    'Members a restarted node still waits on for its share (0 when not recovering).',
    'gauge',
    (s) => (s.shareRecovery.state === 'pulling' ? s.shareRecovery.pending.length : 0),
  );
  read(
    'ringcache_share_sent_entries_total',
    'Entries streamed to restarted members pulling their share back.',
    'counter',
    (s) => s.shareSent,
  );
  read(
    'ringcache_share_recovery_received_entries',
    'Entries other members streamed to this node since it started, to give it back its share.',
    'gauge',
    (s) => s.shareRecovery.entriesReceived,
  );
  read('ringcache_forwarded_total', 'Key requests forwarded to another node.', 'counter', (s) => s.forwarded);
  read('ringcache_read_repairs_total', 'Stale replicas repaired by reads.', 'counter', (s) => s.repaired);
  read(
    'ringcache_hints_pending',
    'Writes held here for an owner that did not answer.',
    'gauge',
    (s) => s.hints.pending,
  );
  read(
    'ringcache_hints_stored_total',
    'Writes stored as hints for an unreachable owner.',
    'counter',
    (s) => s.hintsStored,
  );
  read(
    'ringcache_hints_delivered_total',
    'Hints delivered to their owner.',
    'counter',
    (s) => s.hints.delivered,
  );
  read(
    'ringcache_hints_dropped_total',
    'Hints dropped at the --max-hints bound (anti-entropy repairs them).',
    'counter',
    (s) => s.hints.dropped,
  );
  read(
    'ringcache_tombstones',
    'Deletes and expiries remembered so late copies cannot bring the keys back.',
    'gauge',
    (s) => s.tombstones.held,
  );
  read(
    'ringcache_tombstones_dropped_total',
    'Tombstones forgotten before their grace ended, at the --max-tombstones bound.',
    'counter',
    (s) => s.tombstones.dropped,
  );
  read(
    'ringcache_rebalance_sent_entries_total',
    'Entries streamed to new owners on ring changes.',
    'counter',
    (s) => s.rebalanceSent,
  );
  read(
    'ringcache_rebalance_sent_bytes_total',
    'Value and key bytes streamed to new owners on ring changes.',
    'counter',
    (s) => s.rebalanceBytesSent,
  );
  read(
    'ringcache_rebalance_keys',
    'Entries the current (or last) hand-off scans: what this node held when its ring arrived.',
    'gauge',
    (s) => s.rebalance.keysTotal,
  );
  read(
    'ringcache_rebalance_keys_scanned',
    'Entries the current (or last) hand-off has scanned so far.',
    'gauge',
    (s) => s.rebalance.keysScanned,
  );
  read(
    'ringcache_anti_entropy_rounds_total',
    'Anti-entropy rounds started.',
    'counter',
    (s) => s.antiEntropy.rounds,
  );
  read(
    'ringcache_anti_entropy_ranges_repaired_total',
    'Key ranges whose digests differed from a peer and were exchanged.',
    'counter',
    (s) => s.antiEntropy.rangesRepaired,
  );
  read(
    'ringcache_anti_entropy_entries_sent_total',
    'Entries sent to peers by anti-entropy.',
    'counter',
    (s) => s.antiEntropy.entriesSent,
  );
  read(
    'ringcache_unowned_dropped_total',
    'Entries dropped because this node no longer owns them (after the grace period).',
    'counter',
    (s) => s.antiEntropy.unownedDropped,
  );
}
