/** The pure builders of a CacheCluster's desired objects, one module per object. */
export { authSecret, tokenFromBytes, type GeneratedTokens } from './auth-secret.js';
export { clientService } from './client-service.js';
export { headlessService } from './headless-service.js';
export { labels, ownerReference, selectorLabels, selectorString } from './labels.js';
export { maxUnavailable, podDisruptionBudget, replicasNeeded } from './pod-disruption-budget.js';
export { containerResources, defaultMemoryLimitBytes } from './resources.js';
export { RING_KEY, ringConfigMap } from './ring-configmap.js';
export { statefulSet, type StatefulSetOptions } from './statefulset.js';
export { NODE_PORT, memberAddress, memberId, ordinalOf } from '../names.js';
