/**
 * Real node processes for tests: `ringcache node` started from the built CLI on a free port
 * of 127.0.0.1, found through its "listening" log line, and stopped (or killed) afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${REPO_ROOT}bin/ringcache.js`;

export interface NodeProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Every log line the node printed so far, parsed. */
  logs: Array<Record<string, unknown>>;
  /** SIGTERM and wait for the exit; returns the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

const running = new Set<NodeProcess>();

export async function startNodeProcess(
  args: string[] = [],
  env: Record<string, string> = {},
  deadlineMs = 20_000,
): Promise<NodeProcess> {
  const child = spawn(process.execPath, [CLI, 'node', '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        logs.push(record);
        if (record.msg === 'listening') resolve(record.url as string);
      } catch {
        logs.push({ raw: line });
      }
    });
    void exited.then((code) => reject(new Error(`node exited with ${code} before listening: ${stderr}`)));
    setTimeout(() => reject(new Error(`node did not listen within ${deadlineMs} ms`)), deadlineMs).unref();
  });
  let url: string;
  try {
    url = await listening;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const node: NodeProcess = {
    url,
    port: Number(new URL(url).port),
    child,
    logs,
    exited,
    async stop(signal = 'SIGTERM') {
      running.delete(node);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  running.add(node);
  return node;
}

/** Kills whatever a test left running (call from afterAll / afterEach). */
export async function killAllNodes(): Promise<void> {
  const nodes = [...running];
  running.clear();
  await Promise.all(
    nodes.map(async (node) => {
      if (node.child.exitCode === null && node.child.signalCode === null) {
        node.child.kill('SIGKILL');
        await once(node.child, 'exit');
      }
    }),
  );
}

/** Polls `check` until it returns true or the deadline passes (then throws with `what`). */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  deadlineMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
