/**
 * The physical limit for bench:http: a bare node:http server answering GET and PUT on the same
 * paths from a Map, with no validation, no metrics and no eviction.
 */
import { createServer } from 'node:http';

const values = new Map<string, Buffer>();
const port = Number(process.argv[2] ?? 0);

const server = createServer((req, res) => {
  const key = (req.url as string).slice('/v1/keys/'.length);
  if (req.method === 'PUT') {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const existed = values.has(key);
      values.set(key, Buffer.concat(chunks));
      res.writeHead(existed ? 204 : 201);
      res.end();
    });
    return;
  }
  const value = values.get(key);
  if (value === undefined) {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, ['Content-Type', 'application/octet-stream', 'Content-Length', String(value.length)]);
  res.end(value);
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
