/**
 * The CacheCluster custom resource (Contract 3) as TypeScript types, matching
 * operator/crd/cacheclusters.ringcache.io.yaml. `CacheClusterSpec` is what the API server holds
 * (every field optional, as a client may send it); `ResolvedSpec` is the spec with every default
 * applied and checked (operator/src/spec.ts), which the builders take.
 */
import type { Consistency } from '../../node/src/http/config.js';
import type { MemberState, RingMember } from '../../node/src/ring/document.js';
import type { EvictionPolicyName } from '../../node/src/store/types.js';

export type { Consistency, EvictionPolicyName, MemberState, RingMember };

export const GROUP = 'ringcache.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}` as const;
export const KIND = 'CacheCluster';
export const PLURAL = 'cacheclusters';

/** A Kubernetes quantity: "512Mi", "500m", or a plain number. */
export type Quantity = string | number;

/** core/v1 ResourceRequirements, without DRA claims. */
export interface ResourceRequirements {
  limits?: Record<string, Quantity>;
  requests?: Record<string, Quantity>;
}

export interface AuthSpec {
  /** Secret holding key `token`; generated as `<cluster>-auth` when absent. */
  secretName?: string;
}

export type ImagePullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/**
 * Where and how the cache node pods are scheduled and pulled: passed to the pod spec as given
 * (core/v1 shapes; the API server validates them when the StatefulSet is applied).
 */
export interface PodPlacement {
  imagePullPolicy?: ImagePullPolicy;
  imagePullSecrets?: Array<{ name: string }>;
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, unknown>>;
  /** Replaces the default preferred anti-affinity (one pod per machine) when set. */
  affinity?: Record<string, unknown>;
  priorityClassName?: string;
}

export interface CacheClusterSpec extends PodPlacement {
  replicas?: number;
  image?: string;
  resources?: ResourceRequirements;
  replicationFactor?: number;
  consistency?: Consistency;
  maxMemory?: string;
  evictionPolicy?: EvictionPolicyName;
  auth?: AuthSpec;
}

export interface ResolvedSpec {
  replicas: number;
  image: string;
  resources: ResourceRequirements;
  replicationFactor: number;
  consistency: Consistency;
  /** As written (a quantity), for display. */
  maxMemory: string;
  /** maxMemory in bytes, what the node is given. */
  maxMemoryBytes: number;
  evictionPolicy: EvictionPolicyName;
  auth: AuthSpec;
  placement: PodPlacement;
}

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  /** RFC 3339. */
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface RingStatus {
  epoch: number;
  members: RingMember[];
}

export interface CacheClusterStatus {
  conditions?: Condition[];
  observedGeneration?: number;
  readyReplicas?: number;
  replicas?: number;
  /** Pod label selector as a string, for the scale subresource. */
  selector?: string;
  ring?: RingStatus;
  /** Holder identity of the operator Lease that last published the ring. */
  leader?: string;
}

export interface CacheCluster {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: CacheClusterSpec;
  status?: CacheClusterStatus;
}

/** What every builder takes: the cluster's identity and its resolved spec. */
export interface ClusterContext {
  name: string;
  namespace: string;
  uid: string;
  /** metadata.generation; goes to status.observedGeneration, never onto built objects (see docs). */
  generation: number;
  spec: ResolvedSpec;
}
