/**
 * The kubectl scripts/kubectl/build.sh built, run as a real process against one kubeconfig, with
 * its discovery cache in a temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { okOrThrow, repoRoot, runTool, toolPath, type ToolResult } from './tools.js';

export interface Kubectl {
  run(args: string[], input?: string): Promise<ToolResult>;
  /** Runs kubectl (in the repo root, like the README's commands) and fails unless it exits 0. */
  ok(args: string[], input?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function makeKubectl(kubeconfig: string): Promise<Kubectl> {
  const bin = await toolPath('kubectl');
  const home = await mkdtemp(join(tmpdir(), 'ringcache-kubectl-'));
  const env = { PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(home, 'cache') };
  // Relative paths (k8s/...) as in the README.
  const run = (args: string[], input?: string): Promise<ToolResult> =>
    runTool('/bin/sh', ['-c', 'cd "$0" && exec "$@"', repoRoot, bin, ...args], env, 120_000, input);
  return {
    run,
    ok: async (args, input) => okOrThrow('kubectl', args, await run(args, input)),
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}
