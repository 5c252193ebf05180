/**
 * `ringcache local`: a cluster on this machine with no Kubernetes. Starts the nodes, publishes
 * the ring, prints the endpoints and a one-line status whenever it changes; reads commands
 * (`add`, `remove <id>`, `status`) on stdin; stops every node on Ctrl-C.
 */
import { createInterface } from 'node:readline';
import { ConfigError, helpText, parseOptions } from '../config/options.js';
import { parsePort, parsePositiveInteger } from '../config/parse.js';
import { clientTokenOf } from '../http/config.js';
import { LocalCluster } from './local-cluster.js';

const OPTIONS = {
  nodes: {
    flag: '--nodes',
    env: 'RINGCACHE_LOCAL_NODES',
    defaultValue: 3,
    description: 'how many nodes to start',
    parse: parsePositiveInteger,
  },
  basePort: {
    flag: '--base-port',
    env: 'RINGCACHE_LOCAL_BASE_PORT',
    defaultValue: 8081,
    description: 'node i listens on base-port + i (8081, 8082, ...); 0 picks free ports',
    parse: parsePort,
  },
  replicationFactor: {
    flag: '--replication-factor',
    env: 'RINGCACHE_LOCAL_REPLICATION_FACTOR',
    defaultValue: 2,
    description: 'owners per key',
    parse: parsePositiveInteger,
  },
};

const USAGE = `usage: ringcache local [options]

Runs a cluster of cache nodes on 127.0.0.1 and publishes its ring. While it runs, type
  add            add a node (joins, receives its share, becomes active)
  remove <id>    drain a node (hands off its share, leaves the ring, stops)
  restart <id>   start a member that died again, empty (it recovers its share); add and
                 remove wait for every member's hand-off, so they refuse while one is dead
  status         print every node's status`;

const COMMANDS = 'commands: add | remove <id> | restart <id> | status';

export async function runLocalCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseOptions(OPTIONS, argv, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`ringcache local: ${err.problems.join('\n')}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(helpText(USAGE, OPTIONS));
    return 0;
  }
  const { nodes, basePort, replicationFactor } = parsed.values;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // The nodes inherit this environment: with a token in it, the launcher's own calls need it too.
  const token = clientTokenOf(process.env);
  const cluster = new LocalCluster({ basePort, replicationFactor, token });
  // Listening before the nodes start: Ctrl-C during the start still stops every node. A closed
  // terminal (SIGHUP) or a closed stdout (EPIPE) stops them too; and whatever ends this process,
  // its 'exit' kills what is left (the nodes also stop once their launcher is gone).
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGHUP', resolve);
    process.stdout.once('error', () => resolve());
  });
  process.once('exit', () => cluster.killAll());
  say(`starting ${nodes} node${nodes === 1 ? '' : 's'} (replication factor ${replicationFactor}) ...`);
  const failed = await Promise.race([
    cluster.start(nodes).then(
      () => undefined,
      (err: Error) => err,
    ),
    stopped.then(() => new Error('stopped while starting')),
  ]);
  if (failed !== undefined) {
    process.stderr.write(`ringcache local: ${failed.message}\n`);
    await cluster.stop();
    return 1;
  }
  say('endpoints (any node answers for any key):');
  for (const node of cluster.nodes.values()) say(`  ${node.id}  http://${node.address}`);
  const auth = token === undefined ? '' : '-H "Authorization: Bearer $RINGCACHE_TOKEN" ';
  say(
    `try: curl -X PUT ${auth}-H 'Content-Type: text/plain' --data-binary hello http://${[...cluster.nodes.values()][0].address}/v1/keys/greeting`,
  );
  say(`${COMMANDS} | Ctrl-C to stop`);

  let last = '';
  const statusLine = async () => {
    const parts = await Promise.all(
      [...cluster.nodes.keys()].map(async (id) => {
        const member = cluster.ring.members.find((m) => m.id === id);
        try {
          const s = await cluster.status(id);
          return `${id}:${member?.state ?? 'out'}:${s.store.keys}keys`;
        } catch {
          return `${id}:down`;
        }
      }),
    );
    return `epoch ${cluster.ring.epoch} | ${parts.join(' ')}`;
  };
  const ticker = setInterval(() => {
    void statusLine().then((line) => {
      if (line !== last) say((last = line));
    });
  }, 1000);

  let busy = Promise.resolve();
  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const [command, arg] = line.trim().split(/\s+/);
    // status answers at once, also while a membership change waits for its hand-off.
    if (command === 'status') {
      void statusLine().then(say);
      return;
    }
    busy = busy.then(async () => {
      try {
        if (command === 'add') say(`added ${await cluster.add()}`);
        else if (command === 'remove' && arg) {
          await cluster.remove(arg);
          say(`removed ${arg}`);
        } else if (command === 'restart' && arg) {
          await cluster.restart(arg);
          say(`restarted ${arg} (empty; it recovers its share from the replicas)`);
        } else if (command) say(COMMANDS);
      } catch (err) {
        say(`error: ${(err as Error).message}`);
      }
    });
  });

  await stopped;
  clearInterval(ticker);
  input.close();
  say('stopping ...');
  await cluster.stop();
  return 0;
}
