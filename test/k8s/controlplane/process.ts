import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { once } from 'node:events';

/** A control-plane process whose output goes to a log file (read back when it fails). */
export class LoggedProcess {
  readonly child: ChildProcess;
  /** Set once the process has exited: how, for error messages. */
  exited: string | undefined;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    readonly logPath: string,
    env?: NodeJS.ProcessEnv,
  ) {
    const fd = openSync(logPath, 'a');
    try {
      this.child = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
    } finally {
      closeSync(fd); // the child holds its own copy
    }
    this.child.on('exit', (code, signal) => {
      this.exited = `${name} exited (${signal ?? `code ${code}`}); log ${logPath}:\n${this.tail()}`;
    });
    this.child.on('error', (err) => {
      this.exited = `${name} could not start: ${err.message}`;
    });
    live.add(this);
  }

  /** The end of its log, for failure messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    live.delete(this);
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
    const exit = once(c, 'exit');
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await exit;
    clearTimeout(timer);
  }
}

// If the test process ends without stop() (a crash, Ctrl-C), its children must not outlive it.
const live = new Set<LoggedProcess>();
const killAll = (): void => {
  for (const p of live) p.child.kill('SIGKILL');
  live.clear();
};
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    // Then die of the signal as the process would have without this handler.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  });
}
