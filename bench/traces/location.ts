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

/**
 * The path of trace `file` in the traces folder. A file saved under another compression (the
 * same stem with `.gz`, `.zst`, `.xz` or none, e.g. BitFaster's `DS1.lis.gz` for `DS1.lis.zst`)
 * is found too.
 */
export function tracePath(file: string): string {
  const path = findTrace(file);
  if (path === undefined) throw new Error(`trace not found: ${resolve(tracesDir(), file)}`);
  return path;
}

/** Like tracePath, but undefined when the trace is not there. */
export function findTrace(file: string): string | undefined {
  const dir = tracesDir();
  const stem = file.replace(/\.(gz|zst|xz)$/, '');
  for (const candidate of [file, stem, `${stem}.zst`, `${stem}.gz`, `${stem}.xz`]) {
    const path = resolve(dir, candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}
