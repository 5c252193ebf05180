/**
 * Loopback addresses for stand-in pods: each pod gets its own 127.0.0.x (Linux routes all of
 * 127/8 to lo), so every pod can serve on its container port as on a real pod IP.
 */
import { createServer } from 'node:net';

// Shared by every stand-in kubelet of this process; other processes are caught by the bind check.
const claimed = new Set<string>();

function bindable(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, ip, () => srv.close(() => resolve(true)));
  });
}

/** An address 127.0.0.x (x in 2..254) on which `port` is free now; release it when done. */
export async function claimLoopback(port: number): Promise<string> {
  // A random start keeps concurrent test processes on this machine apart.
  const start = Math.floor(Math.random() * 253);
  for (let n = 0; n < 253; n++) {
    const ip = `127.0.0.${2 + ((start + n) % 253)}`;
    if (claimed.has(ip)) continue;
    claimed.add(ip);
    if (await bindable(ip, port)) return ip;
    claimed.delete(ip);
  }
  throw new Error(`no loopback address with port ${port} free`);
}

export function releaseLoopback(ip: string): void {
  claimed.delete(ip);
}
