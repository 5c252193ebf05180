/** Where the shared traces live: ../shared/traces beside the repository (or RINGCACHE_TRACES). */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function tracesDir(): string {
  if (process.env.RINGCACHE_TRACES) return resolve(process.env.RINGCACHE_TRACES);
  // From bench/traces (source) or dist/bench/traces (compiled), walk up to the repository's parent.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = resolve(dir, 'shared/traces');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error('cannot find shared/traces beside the repository; set RINGCACHE_TRACES');
}

export function tracePath(file: string): string {
  const path = resolve(tracesDir(), file);
  if (!existsSync(path)) throw new Error(`trace not found: ${path}`);
  return path;
}
