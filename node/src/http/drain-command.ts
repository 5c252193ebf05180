/**
 * `ringcache drain`: asks the node running beside it (same container, same RINGCACHE_*
 * environment) to hand its entries to their successors before it stops. The StatefulSet's
 * preStop hook runs it; the operator's leaving/hand-off protocol makes it a no-op in a planned
 * scale-in (see node/src/cluster/drain.ts).
 */
import { hostname } from 'node:os';
import { configOrExit } from '../config/command.js';
import { parseNodeConfig } from './config.js';

const USAGE = `usage: ringcache drain [--timeout-ms N]

Asks the local node (its port and peer token from the same RINGCACHE_* environment as
\`ringcache node\`) to send every entry it owns to the nodes that would own it without it,
and waits for the answer. Exit 0 when the node answered, 1 otherwise.
`;

export async function runDrainCommand(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  let timeoutMs = Number(process.env.RINGCACHE_DRAIN_TIMEOUT_MS ?? 25_000);
  const flag = argv.indexOf('--timeout-ms');
  if (flag >= 0) timeoutMs = Number(argv[flag + 1]);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    process.stderr.write(`ringcache drain: --timeout-ms must be a positive integer\n${USAGE}`);
    return 2;
  }
  const config = configOrExit(
    'drain',
    () => parseNodeConfig([], { env: process.env, hostname: hostname() }),
    () => USAGE,
  );
  if (typeof config === 'number') return config;
  // A node listening on every interface is reached on loopback.
  const host = ['0.0.0.0', '::', ''].includes(config.host) ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.port}/v1/internal/drain`;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: config.peerToken === undefined ? {} : { authorization: `Bearer ${config.peerToken}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    process.stdout.write(`${text}\n`);
    return response.status === 200 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`ringcache drain: ${url}: ${(err as Error).message}\n`);
    return 1;
  }
}
