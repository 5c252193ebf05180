/** The ring: document, placement hash, token ring and ownership during changes (docs/ring.md). */
export * from './document.js';
export * from './hash.js';
export * from './ring.js';
export * from './ownership.js';
