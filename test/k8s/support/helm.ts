/**
 * The helm CLI that scripts/helm/build.sh built, run as a real process with its own temp config,
 * cache and data directories (nothing written under the user's home).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { okOrThrow, repoRoot, runTool, toolPath, type ToolResult } from './tools.js';

export { repoRoot };
export const chartDir = join(repoRoot, 'charts/ringcache');

/** Where scripts/helm/build.sh caches the pinned helm. */
export const helmPath = (): Promise<string> => toolPath('helm');

export interface Helm {
  run(args: string[], timeoutMs?: number): Promise<ToolResult>;
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
  const run = (args: string[], timeoutMs?: number): Promise<ToolResult> => runTool(bin, args, env, timeoutMs);
  return {
    run,
    ok: async (args, timeoutMs) => okOrThrow('helm', args, await run(args, timeoutMs)),
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
