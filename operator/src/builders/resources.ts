/**
 * The cache node container's resources: the spec's, plus a memory limit when none is given.
 *
 * Why maxMemory * 1.5 + 64Mi: maxMemory bounds the bytes the store charges to entries, not the
 * process. On top of it the process holds slab pages of size classes it no longer fills (pages
 * are not compacted), typed arrays that grow by doubling, request and replication buffers (a
 * batch body alone may be 16Mi), and garbage between collections: the factor covers these. The
 * 64Mi is Node.js itself (V8, the code, express, prom-client: about 50Mi resident at rest).
 * A limit that is too tight gets the pod OOM-killed and its copies lost, which costs more than
 * the memory, so the default errs high. Pure.
 */
import type { V1ResourceRequirements } from '@kubernetes/client-node';
import { Mi, formatBytes, quantityBytes } from '../quantity.js';
import type { ResolvedSpec } from '../types.js';

export const MEMORY_LIMIT_FACTOR = 1.5;
export const RUNTIME_OVERHEAD_BYTES = 64 * Mi;

/** maxMemory * 1.5 + 64Mi, rounded up to a whole Mi. */
export function defaultMemoryLimitBytes(maxMemoryBytes: number): number {
  const bytes = Math.ceil(maxMemoryBytes * MEMORY_LIMIT_FACTOR) + RUNTIME_OVERHEAD_BYTES;
  return Math.ceil(bytes / Mi) * Mi;
}

export function containerResources(spec: ResolvedSpec): V1ResourceRequirements {
  const limits: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.resources.limits ?? {})) limits[name] = String(value);
  const requests: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec.resources.requests ?? {})) requests[name] = String(value);
  if (limits.memory === undefined) {
    // Never below a memory request the user gave: a request above the limit is an invalid pod.
    const requested = requests.memory === undefined ? 0 : quantityBytes(requests.memory);
    limits.memory = formatBytes(Math.max(defaultMemoryLimitBytes(spec.maxMemoryBytes), requested));
  }
  const out: V1ResourceRequirements = { limits };
  if (Object.keys(requests).length > 0) out.requests = requests;
  return out;
}
