/** Creates an eviction policy by name. */
import type { EvictionPolicy, EvictionPolicyName, PolicyOptions } from './policy.js';
import { LruPolicy } from './lru.js';
import { WTinyLfuPolicy } from './wtinylfu.js';

export type { EvictionPolicy, EvictionPolicyName, PolicyOptions, EvictionSink } from './policy.js';
export { LruPolicy, WTinyLfuPolicy };

export function createPolicy(name: EvictionPolicyName, options: PolicyOptions): EvictionPolicy {
  switch (name) {
    case 'lru':
      return new LruPolicy(options);
    case 'wtinylfu':
      return new WTinyLfuPolicy(options);
    default:
      throw new Error(`unknown eviction policy ${JSON.stringify(name)}`);
  }
}
