/**
 * `resolveSpec`: a CacheCluster's spec as stored, to a ResolvedSpec with the CRD's defaults
 * applied and its validations re-checked. The API server already enforces the CRD; checking again
 * keeps the operator safe against an older CRD or a spec written before a rule existed, and
 * lets the builders assume a valid spec. Every problem is reported at once. Pure.
 */
import { CONSISTENCY_LEVELS } from '../../node/src/http/config.js';
import { POLICY_NAMES } from '../../node/src/store/options.js';
import { VERSION } from '../../node/src/version.js';
import { QUANTITY_PATTERN, parseQuantity, quantityBytes } from './quantity.js';
import type {
  CacheCluster,
  CacheClusterSpec,
  ClusterContext,
  Consistency,
  EvictionPolicyName,
  ImagePullPolicy,
  PodPlacement,
  ResolvedSpec,
  ResourceRequirements,
} from './types.js';

export { CONSISTENCY_LEVELS, POLICY_NAMES };

/**
 * The CRD's defaults (operator/test/crd.test.ts checks that the YAML says the same). The image is
 * this release's, the tag the chart deploys the operator with and the README builds.
 */
export const SPEC_DEFAULTS = {
  replicas: 3,
  image: `ringcache:${VERSION}`,
  replicationFactor: 2,
  consistency: 'quorum' as Consistency,
  maxMemory: '256Mi',
  evictionPolicy: 'wtinylfu' as EvictionPolicyName,
} as const;

export const MIN_REPLICATION_FACTOR = 1;
export const MAX_REPLICATION_FACTOR = 5;
/** Below this a node's fixed per-process structures (sketch, slab pages) dominate its memory. */
export const MIN_MAX_MEMORY = '16Mi';
/** Far above what one process should hold, and low enough that the default memory limit (1.5x + 64Mi) stays an exact integer. */
export const MAX_MAX_MEMORY = '64Ti';
/** Pods of one cluster: the ring and the status list its members, and each pass asks every pod. */
export const MAX_REPLICAS = 1000;
/** Byte quantities only: no milli-bytes, no exponents (the same pattern as the CRD). */
export const MAX_MEMORY_PATTERN = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
/** A Secret (or PriorityClass) name is a DNS-1123 subdomain. */
export const SECRET_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class SpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid CacheCluster spec: ${problems.join('; ')}`);
    this.name = 'SpecError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Applies the defaults and checks every rule of the CRD; throws SpecError listing each problem. */
export function resolveSpec(raw: CacheClusterSpec | unknown): ResolvedSpec {
  const problems: string[] = [];
  const spec = raw === undefined || raw === null ? {} : raw;
  if (!isObject(spec)) throw new SpecError(['spec must be an object']);

  const replicas = integer(spec.replicas, SPEC_DEFAULTS.replicas, 'replicas', 0, MAX_REPLICAS, problems);
  const replicationFactor = integer(
    spec.replicationFactor,
    SPEC_DEFAULTS.replicationFactor,
    'replicationFactor',
    MIN_REPLICATION_FACTOR,
    MAX_REPLICATION_FACTOR,
    problems,
  );
  const image = spec.image ?? SPEC_DEFAULTS.image;
  if (typeof image !== 'string' || image.length === 0 || image.length > 512) {
    problems.push(`image must be a non-empty string of at most 512 characters, got ${JSON.stringify(image)}`);
  }
  const consistency = choice(
    spec.consistency,
    SPEC_DEFAULTS.consistency,
    CONSISTENCY_LEVELS,
    'consistency',
    problems,
  );
  const evictionPolicy = choice(
    spec.evictionPolicy,
    SPEC_DEFAULTS.evictionPolicy,
    POLICY_NAMES,
    'evictionPolicy',
    problems,
  );
  const maxMemory = spec.maxMemory ?? SPEC_DEFAULTS.maxMemory;
  let maxMemoryBytes = 0;
  if (typeof maxMemory !== 'string' || !MAX_MEMORY_PATTERN.test(maxMemory)) {
    problems.push(`maxMemory must be a byte quantity such as 256Mi or 2Gi, got ${JSON.stringify(maxMemory)}`);
  } else {
    maxMemoryBytes = quantityBytes(maxMemory);
    if (maxMemoryBytes < quantityBytes(MIN_MAX_MEMORY))
      problems.push(`maxMemory must be at least ${MIN_MAX_MEMORY}`);
    if (maxMemoryBytes > quantityBytes(MAX_MAX_MEMORY))
      problems.push(`maxMemory must be at most ${MAX_MAX_MEMORY}`);
  }
  const resources = resourceRequirements(spec.resources, problems);
  const auth = authSpec(spec.auth, problems);
  const placement = podPlacement(spec, problems);

  if (problems.length === 0 && replicationFactor > replicas && replicas !== 0) {
    problems.push(
      `replicationFactor (${replicationFactor}) must not exceed replicas (${replicas}); only replicas 0 is exempt`,
    );
  }
  if (problems.length > 0) throw new SpecError(problems);
  return {
    replicas,
    image: image as string,
    resources,
    replicationFactor,
    consistency,
    maxMemory: maxMemory as string,
    maxMemoryBytes,
    evictionPolicy,
    auth,
    placement,
  };
}

const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;

/** The pod placement fields, shape-checked only: their content is core/v1's to validate. */
function podPlacement(spec: Record<string, unknown>, problems: string[]): PodPlacement {
  const out: PodPlacement = {};
  const { imagePullPolicy, imagePullSecrets, nodeSelector, tolerations, affinity, priorityClassName } = spec;
  if (imagePullPolicy !== undefined) {
    if (!(PULL_POLICIES as readonly unknown[]).includes(imagePullPolicy))
      problems.push(
        `imagePullPolicy must be one of ${PULL_POLICIES.join(', ')}, got ${JSON.stringify(imagePullPolicy)}`,
      );
    else out.imagePullPolicy = imagePullPolicy as ImagePullPolicy;
  }
  if (imagePullSecrets !== undefined) {
    const ok =
      Array.isArray(imagePullSecrets) &&
      imagePullSecrets.every(
        (s) => isObject(s) && typeof s.name === 'string' && SECRET_NAME_PATTERN.test(s.name),
      );
    if (!ok) problems.push('imagePullSecrets must be a list of {name: <Secret name>}');
    else out.imagePullSecrets = imagePullSecrets.map((s) => ({ name: (s as { name: string }).name }));
  }
  if (nodeSelector !== undefined) {
    if (!isObject(nodeSelector) || !Object.values(nodeSelector).every((v) => typeof v === 'string'))
      problems.push('nodeSelector must be a map of label to string value');
    else out.nodeSelector = { ...(nodeSelector as Record<string, string>) };
  }
  if (tolerations !== undefined) {
    if (!Array.isArray(tolerations) || !tolerations.every(isObject))
      problems.push('tolerations must be a list of objects (core/v1 Toleration)');
    else out.tolerations = tolerations.map((t) => ({ ...t }));
  }
  if (affinity !== undefined) {
    if (!isObject(affinity)) problems.push('affinity must be an object (core/v1 Affinity)');
    else out.affinity = { ...affinity };
  }
  if (priorityClassName !== undefined) {
    if (typeof priorityClassName !== 'string' || !SECRET_NAME_PATTERN.test(priorityClassName))
      problems.push(
        `priorityClassName must be a PriorityClass name, got ${JSON.stringify(priorityClassName)}`,
      );
    else out.priorityClassName = priorityClassName;
  }
  return out;
}

function integer(
  value: unknown,
  fallback: number,
  field: string,
  min: number,
  max: number,
  problems: string[],
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${field} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value;
}

function choice<T extends string>(
  value: unknown,
  fallback: T,
  choices: readonly T[],
  field: string,
  problems: string[],
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly unknown[]).includes(value)) {
    problems.push(`${field} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return value as T;
}

function resourceRequirements(value: unknown, problems: string[]): ResourceRequirements {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push('resources must be an object with limits and/or requests');
    return {};
  }
  const out: ResourceRequirements = {};
  for (const key of ['limits', 'requests'] as const) {
    const list = value[key];
    if (list === undefined) continue;
    if (!isObject(list)) {
      problems.push(`resources.${key} must be a map of resource name to quantity`);
      continue;
    }
    for (const [name, quantity] of Object.entries(list)) {
      const ok =
        (typeof quantity === 'number' && Number.isFinite(quantity)) ||
        (typeof quantity === 'string' && QUANTITY_PATTERN.test(quantity));
      if (!ok) problems.push(`resources.${key}.${name} must be a quantity, got ${JSON.stringify(quantity)}`);
      else if (parseQuantity(quantity as string | number) < 0) {
        problems.push(`resources.${key}.${name} must not be negative`);
      }
    }
    out[key] = { ...(list as Record<string, string | number>) };
  }
  // The CRD's rule: a container's request of a resource may not exceed its limit.
  for (const [name, request] of Object.entries(out.requests ?? {})) {
    const limit = out.limits?.[name];
    if (limit === undefined || !isQuantity(request) || !isQuantity(limit)) continue;
    if (parseQuantity(request) > parseQuantity(limit)) {
      problems.push(
        `resources.requests.${name} (${request}) must be at most resources.limits.${name} (${limit})`,
      );
    }
  }
  return out;
}

function isQuantity(value: string | number): boolean {
  return (
    (typeof value === 'number' && Number.isFinite(value)) ||
    (typeof value === 'string' && QUANTITY_PATTERN.test(value))
  );
}

function authSpec(value: unknown, problems: string[]): { secretName?: string } {
  if (value === undefined) return {};
  if (!isObject(value)) {
    problems.push('auth must be an object');
    return {};
  }
  const { secretName } = value;
  if (secretName === undefined) return {};
  if (typeof secretName !== 'string' || secretName.length > 253 || !SECRET_NAME_PATTERN.test(secretName)) {
    problems.push(`auth.secretName must be a Secret name (DNS subdomain), got ${JSON.stringify(secretName)}`);
    return {};
  }
  return { secretName };
}

/**
 * Advice that is not an error: settings the API server accepts but that will hurt. The reconcile
 * loop puts these on a condition or an Event.
 */
export function specWarnings(spec: ResolvedSpec): string[] {
  const warnings: string[] = [];
  const limit = spec.resources.limits?.memory;
  if (limit !== undefined && quantityBytes(limit) < spec.maxMemoryBytes) {
    warnings.push(
      `resources.limits.memory (${limit}) is below maxMemory (${spec.maxMemory}): ` +
        'the node would be OOM-killed, losing its copies, before it evicts',
    );
  }
  if (spec.replicationFactor === 1 && spec.replicas > 0) {
    warnings.push('replicationFactor 1 keeps one copy of each key: a node that fails loses its keys');
  }
  return warnings;
}

/** The builders' input from a CacheCluster as read from the API server; throws SpecError. */
export function clusterContext(cluster: CacheCluster): ClusterContext {
  const { name, namespace, uid, generation } = cluster.metadata;
  return { name, namespace, uid, generation, spec: resolveSpec(cluster.spec) };
}
