/**
 * The CLIs the project builds from Go modules and caches by version (scripts/helm/build.sh,
 * scripts/kubectl/build.sh): where they are, and running one as a real process.
 */
import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnvFile } from '../controlplane/binaries.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `<cache>/<version>/<tool>`, as scripts/<tool>/build.sh lays it out: the version from
 * scripts/<tool>/version.env (`<TOOL>_VERSION`), both overridable like the script's.
 */
export async function toolPath(tool: 'helm' | 'kubectl', env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const key = tool.toUpperCase();
  const pinned = parseEnvFile(await readFile(join(repoRoot, `scripts/${tool}/version.env`), 'utf8'));
  const version = env[`RINGCACHE_${key}_VERSION`] || pinned[`${key}_VERSION`];
  const root = env[`RINGCACHE_${key}_CACHE`] || join(env.HOME || homedir(), `.cache/ringcache/${tool}`);
  const path = join(root, version, tool);
  try {
    await access(path);
  } catch {
    throw new Error(`${path} is missing: run \`bash scripts/${tool}/build.sh\` first`);
  }
  return path;
}

/** Runs a binary to its end; never rejects (a timeout shows as code -1 with the error in stderr). */
export function runTool(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 120_000,
  input?: string,
): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { env, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr: stderr + (err && code === -1 ? String(err) : '') });
    });
    child.stdin?.end(input);
  });
}

/** Fails with the tool's output unless it exited 0; returns stdout. */
export function okOrThrow(name: string, args: string[], r: ToolResult): string {
  if (r.code !== 0) throw new Error(`${name} ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
