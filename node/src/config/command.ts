/**
 * What every `ringcache <command>` shell shares: options parsed once with every problem
 * listed (exit 2), --help, --log-level, and a promise of the first SIGTERM or SIGINT.
 */
import { LOG_LEVELS, type LogLevel } from '../log.js';
import { ConfigError, type OptionSpec } from './options.js';
import { parseChoice } from './parse.js';

/** The parsed config, or the exit code when the command should stop here (help: 0, bad options: 2). */
export function configOrExit<C>(command: string, parse: () => C | 'help', help: () => string): C | number {
  let config: C | 'help';
  try {
    config = parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(
      `ringcache ${command}: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(help());
    return 0;
  }
  return config;
}

/**
 * Resolves with the first SIGTERM or SIGINT. Install it before listening: a signal during
 * start-up must not kill the process abruptly.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

/**
 * Resolves once this process's parent is no longer `parentPid` (it died and the process was
 * re-parented): a node started by `ringcache local` stops with its launcher, however the
 * launcher ended (SIGKILL included). Polled, since Linux gives no event for it; unref'd.
 */
export function parentGone(parentPid: number, everyMs = 1000): Promise<string> {
  return new Promise<string>((resolve) => {
    const timer = setInterval(() => {
      if (process.ppid === parentPid) return;
      clearInterval(timer);
      resolve('launcher gone');
    }, everyMs);
    timer.unref();
  });
}

/** --log-level, the same for every command. */
export const LOG_LEVEL_OPTION: OptionSpec<LogLevel> = {
  flag: '--log-level',
  env: 'RINGCACHE_LOG_LEVEL',
  defaultValue: 'info',
  description: `least severe log level printed: ${LOG_LEVELS.join(', ')}`,
  parse: parseChoice(LOG_LEVELS),
};
