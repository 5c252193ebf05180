/**
 * The PodDisruptionBudget: how many cache node pods a voluntary disruption (a node drain, a
 * cluster upgrade) may take down at once. A pod that comes back is empty until it has received
 * its share again, and counts as disrupted until it is Ready.
 *
 * maxUnavailable is the most pods that can be down while every key keeps enough owners up to
 * answer at the cluster's default consistency: replicationFactor - needed(consistency), where
 * needed is 1 for `one`, floor(RF/2)+1 for `quorum`, RF for `all`. For `one` that is RF - 1, the
 * most that never loses a key's last copy. It is never below 1, or no drain could ever
 * progress: so RF=1 offers no protection at all (the one copy of a pod's keys goes with it), and
 * with RF=2 at quorum a drained pod's keys refuse quorum writes until it is back. Pure.
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import { podDisruptionBudgetName } from '../names.js';
import type { ClusterContext, Consistency } from '../types.js';
import { objectMeta, selectorLabels } from './labels.js';

/** Replicas of a key that must answer at a consistency level (Contract 1). */
export function replicasNeeded(consistency: Consistency, replicationFactor: number): number {
  if (consistency === 'one') return 1;
  if (consistency === 'all') return replicationFactor;
  return Math.floor(replicationFactor / 2) + 1;
}

export function maxUnavailable(consistency: Consistency, replicationFactor: number): number {
  return Math.max(1, replicationFactor - replicasNeeded(consistency, replicationFactor));
}

export function podDisruptionBudget(cluster: ClusterContext): V1PodDisruptionBudget {
  const { consistency, replicationFactor } = cluster.spec;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: objectMeta(cluster, podDisruptionBudgetName(cluster.name)),
    spec: {
      maxUnavailable: maxUnavailable(consistency, replicationFactor),
      selector: { matchLabels: selectorLabels(cluster.name) },
      // A pod that is not Ready serves nothing and may be holding a drain up forever (crash
      // loop); evicting it costs no copy the budget protects.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
