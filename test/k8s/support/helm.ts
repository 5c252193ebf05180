/**
 * The helm CLI that scripts/helm/build.sh built, run as a real process with its own temp config,
 * cache and data directories (nothing written under the user's home).
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { parseEnvFile } from '../controlplane/binaries.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const chartDir = join(repoRoot, 'charts/ringcache');

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where build.sh caches the pinned helm: `<cache>/<version>/helm`. */
export async function helmPath(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const pinned = parseEnvFile(await readFile(join(repoRoot, 'scripts/helm/version.env'), 'utf8'));
  const version = env.RINGCACHE_HELM_VERSION || pinned.HELM_VERSION;
  const root = env.RINGCACHE_HELM_CACHE || join(env.HOME || homedir(), '.cache/ringcache/helm');
  const path = join(root, version, 'helm');
  try {
    await access(path);
  } catch {
    throw new Error(`${path} is missing: run \`bash scripts/helm/build.sh\` first`);
  }
  return path;
}

export interface Helm {
  run(args: string[], timeoutMs?: number): Promise<HelmResult>;
  /** Runs helm and fails with its output unless it exits 0; returns stdout. */
  ok(args: string[], timeoutMs?: number): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeHelm(): Promise<Helm> {
  const bin = await helmPath();
  const home = await mkdtemp(join(tmpdir(), 'ringcache-helm-'));
  const env = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'no-kubeconfig'),
  };
  const run = (args: string[], timeoutMs = 120_000): Promise<HelmResult> =>
    new Promise((resolve) => {
      execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr: stderr + (err && code === -1 ? String(err) : '') });
      });
    });
  return {
    run,
    async ok(args, timeoutMs) {
      const r = await run(args, timeoutMs);
      if (r.code !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

/** A Kubernetes object as rendered: only the fields the tests reach for are typed. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

/** The objects of a multi-document YAML stream, empty documents skipped. */
export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`bad YAML: ${doc.errors[0].message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null && typeof m === 'object');
}

export function find(manifests: Manifest[], kind: string, name?: string): Manifest {
  const m = manifests.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!m) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among ${manifests.map((o) => o.kind).join(', ')}`);
  return m;
}
