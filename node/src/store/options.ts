/** Validation of StoreOptions into a complete, checked configuration. Pure. */
import type { EvictionPolicyName, StoreOptions } from './types.js';
import { StoreError } from './types.js';

export const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_KEY_BYTES = 250;
export const POLICY_NAMES: readonly EvictionPolicyName[] = ['lru', 'wtinylfu'];

export interface ResolvedStoreOptions {
  maxMemory: number;
  maxValueBytes: number;
  maxKeyBytes: number;
  policy: EvictionPolicyName;
  now: () => number;
  random: () => number;
  expectedEntries: number;
  onExpire: ((key: string, version: number, expiresAt: number) => void) | undefined;
}

export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('options must be an object with at least maxMemory');
  }
  const maxMemory = positiveInteger('maxMemory', options.maxMemory);
  const maxValueBytes = positiveInteger('maxValueBytes', options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES);
  const maxKeyBytes = positiveInteger('maxKeyBytes', options.maxKeyBytes ?? DEFAULT_MAX_KEY_BYTES);
  const policy = options.policy ?? 'wtinylfu';
  if (!POLICY_NAMES.includes(policy)) {
    throw invalid(`policy must be one of ${POLICY_NAMES.join(', ')}, got ${JSON.stringify(policy)}`);
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') throw invalid('now must be a function returning milliseconds');
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw invalid('random must be a function returning [0, 1)');
  const expectedEntries = positiveInteger('expectedEntries', options.expectedEntries ?? 1024);
  const onExpire = options.onExpire;
  if (onExpire !== undefined && typeof onExpire !== 'function') {
    throw invalid('onExpire must be a function (key, version, expiresAt)');
  }
  return { maxMemory, maxValueBytes, maxKeyBytes, policy, now, random, expectedEntries, onExpire };
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(`${name} must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function invalid(message: string): StoreError {
  return new StoreError('INVALID_OPTION', message);
}
