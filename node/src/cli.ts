/**
 * `ringcache <command> [flags]`: the one entry point of the image and of `npm start`.
 * Each command lives in its own module and is loaded on demand.
 */
const USAGE = `usage: ringcache <command> [flags]

commands:
  node       run one cache node (ringcache node --help)
  local      run a small cluster on this machine, no Kubernetes (ringcache local --help)
  operator   run the Kubernetes operator (ringcache operator --help)
  drain      hand the local node's entries to their successors before it stops (preStop)
`;

export async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    case 'local': {
      const { runLocalCommand } = await import('./local/local-command.js');
      return runLocalCommand(argv.slice(1));
    }
    case 'drain': {
      const { runDrainCommand } = await import('./http/drain-command.js');
      return runDrainCommand(argv.slice(1));
    }
    case 'node': {
      const { runNodeCommand } = await import('./http/node-command.js');
      return runNodeCommand(argv.slice(1));
    }
    case 'operator': {
      const { runOperatorCommand } = await import('../../operator/src/operator-command.js');
      return runOperatorCommand(argv.slice(1));
    }
    default:
      process.stderr.write(`ringcache: unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}
