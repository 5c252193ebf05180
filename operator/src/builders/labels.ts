/**
 * Labels, selector and owner reference shared by every built object. The selector omits
 * `managed-by` on purpose: a StatefulSet's selector is immutable, so it holds only the labels
 * that name the pods, never ones that might change. Pure.
 */
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, KIND, type ClusterContext } from '../types.js';

export const COMPONENT = 'cache-node';
export const MANAGED_BY = 'ringcache-operator';

/** The labels that select a cluster's cache node pods. */
export function selectorLabels(cluster: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'ringcache',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/component': COMPONENT,
  };
}

export function labels(cluster: string): Record<string, string> {
  return { ...selectorLabels(cluster), 'app.kubernetes.io/managed-by': MANAGED_BY };
}

/** status.selector for the scale subresource: the selector labels as `k=v,k=v`, sorted. */
export function selectorString(cluster: string): string {
  return Object.entries(selectorLabels(cluster))
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Makes the CacheCluster the controller of the object: deleted with it, watched through it. */
export function ownerReference(cluster: ClusterContext): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cluster.name,
    uid: cluster.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function objectMeta(cluster: ClusterContext, name: string): V1ObjectMeta {
  return {
    name,
    namespace: cluster.namespace,
    labels: labels(cluster.name),
    ownerReferences: [ownerReference(cluster)],
  };
}
