export { Store, ENTRY_OVERHEAD_BYTES } from './store.js';
export { HybridLogicalClock, versionMillis } from './hlc.js';
export { StoreError } from './types.js';
export type * from './types.js';
export { createPolicy } from './policy/index.js';
export { DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES } from './options.js';
