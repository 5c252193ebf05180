/**
 * `ringcache node`: parse the options, start the node, and stop it gracefully on SIGTERM or
 * SIGINT (exit 0) — the shell around startNode.
 */
import { hostname } from 'node:os';
import { ConfigError } from '../config/options.js';
import { createLogger } from '../log.js';
import { nodeHelp, parseNodeConfig } from './config.js';
import { startNode } from './server.js';

export async function runNodeCommand(argv: string[]): Promise<number> {
  let config;
  try {
    config = parseNodeConfig(argv, { env: process.env, hostname: hostname() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(
      `ringcache node: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(nodeHelp());
    return 0;
  }
  const logger = createLogger(config.logLevel);
  // Handlers go in before the node listens: a signal during start-up must not kill it abruptly.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
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
