/**
 * The operator's permissions, exactly (issue 6): what the chart's ClusterRole and Role must grant
 * and all they may grant. Read by the render test and by the access reviews on the control plane.
 */
export interface Rule {
  group: string;
  resource: string;
  verbs: string[];
  /** cluster: the ClusterRole; lease: the Role in the release namespace. */
  scope: 'cluster' | 'lease';
}

export const OPERATOR_RULES: Rule[] = [
  { group: 'ringcache.io', resource: 'cacheclusters', verbs: ['get', 'list', 'watch'], scope: 'cluster' },
  { group: 'ringcache.io', resource: 'cacheclusters/status', verbs: ['patch'], scope: 'cluster' },
  { group: 'ringcache.io', resource: 'cacheclusters/finalizers', verbs: ['update'], scope: 'cluster' },
  { group: 'apps', resource: 'statefulsets', verbs: ['get', 'list', 'watch', 'create', 'patch'], scope: 'cluster' },
  { group: '', resource: 'services', verbs: ['get', 'list', 'watch', 'create', 'patch'], scope: 'cluster' },
  { group: 'policy', resource: 'poddisruptionbudgets', verbs: ['list', 'watch', 'create', 'patch'], scope: 'cluster' },
  { group: '', resource: 'configmaps', verbs: ['get', 'list', 'watch', 'create', 'update'], scope: 'cluster' },
  { group: '', resource: 'secrets', verbs: ['get', 'create'], scope: 'cluster' },
  { group: '', resource: 'pods', verbs: ['list', 'watch'], scope: 'cluster' },
  { group: '', resource: 'events', verbs: ['create'], scope: 'cluster' },
  { group: 'coordination.k8s.io', resource: 'leases', verbs: ['get', 'create', 'update'], scope: 'lease' },
];

/** Every verb a review asks about: each must be allowed exactly when a rule lists it. */
export const ALL_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete', 'deletecollection'];
