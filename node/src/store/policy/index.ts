/** Creates an eviction policy by name. */
import type { EvictionPolicy, EvictionPolicyName, PolicyOptions } from './policy.js';
import { LruPolicy } from './lru.js';

export type { EvictionPolicy, EvictionPolicyName, PolicyOptions, EvictionSink } from './policy.js';
export { LruPolicy };

export function createPolicy(name: EvictionPolicyName, options: PolicyOptions): EvictionPolicy {
  switch (name) {
    case 'lru':
      return new LruPolicy(options);
    default:
      throw new Error(`unknown eviction policy ${JSON.stringify(name)}`);
  }
}
