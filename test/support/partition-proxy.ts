/**
 * TCP proxies that stand between cache nodes so a test can cut the links between two of them
 * while clients still reach every node. Each node's ring address points at its proxy; the
 * proxy reads the first request of each connection up to the end of its headers to learn the
 * sending node (`X-Ringcache-Sender: <id>@<address>`, sent by every peer call; a node keeps a
 * connection to one peer only, so the first request names the sender of all of them), then
 * pipes bytes both ways untouched. A cut pair's connections are destroyed and new ones refused
 * (reset), as a partition would do; healing lets new connections through.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

const SENDER = /\r\nx-ringcache-sender: *([^@\r\n]+)@/i;
/** Headers beyond this without a sender: not a peer connection (a client or the launcher). */
const SNIFF_LIMIT = 16 * 1024;

interface Link {
  from: string | undefined;
  client: Socket;
  upstream: Socket;
}

export class PartitionProxies {
  private readonly servers = new Map<string, Server>();
  private readonly links = new Map<string, Set<Link>>();
  private readonly cut = new Set<string>();

  /** Starts (or returns) the proxy in front of node `id` listening at `address`; returns its address. */
  async proxyFor(id: string, address: string): Promise<string> {
    const existing = this.servers.get(id);
    if (existing !== undefined) return addressOf(existing);
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      Number(address.slice(address.lastIndexOf(':') + 1)),
    ];
    const links = new Set<Link>();
    this.links.set(id, links);
    const server = createServer((client) => this.accept(id, host, port, client, links));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.servers.set(id, server);
    return addressOf(server);
  }

  private accept(to: string, host: string, port: number, client: Socket, links: Set<Link>): void {
    let head = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0 && head.length < SNIFF_LIMIT) return;
      client.off('data', sniff);
      client.pause();
      const from = SENDER.exec(text.slice(0, end < 0 ? undefined : end))?.[1];
      if (from !== undefined && this.isCut(from, to)) {
        client.resetAndDestroy();
        return;
      }
      const upstream = connect(port, host);
      const link: Link = { from, client, upstream };
      links.add(link);
      const close = () => {
        links.delete(link);
        client.destroy();
        upstream.destroy();
      };
      upstream.on('error', close).on('close', close);
      client.on('error', close).on('close', close);
      upstream.write(head);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    };
    client.on('data', sniff);
    client.on('error', () => client.destroy());
  }

  private isCut(from: string, to: string): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  /** Cuts both directions between `a` and `b`: open connections reset, new ones refused. */
  partition(a: string, b: string): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  /** Cuts the calls `from` makes to `to` only (its answers to `to`'s calls still pass). */
  cutOneWay(from: string, to: string): void {
    this.cut.add(`${from}>${to}`);
    this.resetCutLinks();
  }

  private resetCutLinks(): void {
    for (const [to, links] of this.links) {
      for (const link of links) {
        if (link.from !== undefined && this.isCut(link.from, to)) {
          link.client.resetAndDestroy();
          link.upstream.destroy();
          links.delete(link);
        }
      }
    }
  }

  /** Lets new connections through again: between `a` and `b` only, or everywhere. */
  heal(a?: string, b?: string): void {
    if (a === undefined || b === undefined) {
      this.cut.clear();
      return;
    }
    this.cut.delete(`${a}>${b}`);
    this.cut.delete(`${b}>${a}`);
  }

  async close(): Promise<void> {
    for (const links of this.links.values()) {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
    }
    await Promise.all(
      [...this.servers.values()].map(
        (server) => new Promise<void>((resolve) => server.close(() => resolve())),
      ),
    );
    this.servers.clear();
  }
}

function addressOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy is not listening');
  return `127.0.0.1:${address.port}`;
}
