/**
 * `ringcache node`: parse the options, start the node, and stop it gracefully on SIGTERM or
 * SIGINT (exit 0), or when the launcher that started it is gone — the shell around startNode.
 */
import { hostname } from 'node:os';
import { configOrExit, parentGone, stopSignal } from '../config/command.js';
import { createLogger } from '../log.js';
import { nodeHelp, parseNodeConfig } from './config.js';
import { startNode } from './server.js';

export async function runNodeCommand(argv: string[]): Promise<number> {
  const config = configOrExit(
    'node',
    () => parseNodeConfig(argv, { env: process.env, hostname: hostname() }),
    nodeHelp,
  );
  if (typeof config === 'number') return config;
  const logger = createLogger(config.logLevel);
  // Handlers go in before the node listens: a signal during start-up must not kill it abruptly.
  // Started by `ringcache local` (RINGCACHE_PARENT_PID): stop with the launcher too.
  const parent = Number(process.env.RINGCACHE_PARENT_PID);
  const signalled =
    Number.isSafeInteger(parent) && parent > 0
      ? Promise.race([stopSignal(), parentGone(parent)])
      : stopSignal();
  const node = await startNode(config, logger);
  if (process.stderr.isTTY) process.stderr.write(quickStart(node.url));
  await node.shutdown(await signalled);
  return 0;
}

function quickStart(url: string): string {
  return `
ringcache node serving on ${url}  (Ctrl-C stops it)
  curl -X PUT --data-binary hello ${url}/v1/keys/greeting
  curl ${url}/v1/keys/greeting
  curl ${url}/metrics
API: docs/http-api.md; options: ringcache node --help

`;
}
