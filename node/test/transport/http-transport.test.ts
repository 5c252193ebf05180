/**
 * The transport tells a connection that never opens from a peer that does not answer: the ring
 * lookup at start-up gives up early on the first (cluster/ring-source.ts). A real listener on
 * loopback in a stopped child process stands in for both: while its accept queue has room the
 * kernel completes connections nobody answers; once the queue is full it drops new SYNs, as a
 * kube-proxy does for a Service with no endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Transport } from '../../src/transport/http-transport.js';

const LISTENER = `
const server = require('node:net').createServer();
server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => console.log(server.address().port));
`;

let child: ChildProcess | undefined;
const sockets: Socket[] = [];
const transport = new Transport(4);

afterAll(() => {
  transport.close();
  for (const socket of sockets) socket.destroy();
  child?.kill('SIGCONT');
  child?.kill('SIGKILL');
});

/** Opens a connection; resolves whether the handshake completed within `ms`. */
function opens(port: number, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('a peer that accepted but does not answer is "no answer"; one that never accepts is "could not connect"', async () => {
  child = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill('SIGSTOP'); // nothing is accepted from now on; the kernel still queues handshakes

  await expect(transport.send(`127.0.0.1:${port}`, 'GET', '/v1/ring', {}, undefined, 500)).rejects.toThrow(
    /no answer within 500 ms/,
  );
  // Fill the accept queue (backlog 1); bounded, in case the kernel queues more than asked.
  let full = false;
  for (let i = 0; i < 64 && !full; i++) full = !(await opens(port, 3_000));
  expect(full).toBe(true);
  await expect(transport.send(`127.0.0.1:${port}`, 'GET', '/v1/ring', {}, undefined, 500)).rejects.toThrow(
    /could not connect within 500 ms/,
  );
}, 60_000);
