/**
 * The built image under a real Docker engine: who the process runs as, what it can write, and
 * the default command serving HTTP with a read-only root filesystem, healthy and stopped cleanly.
 */
import { readFileSync } from 'node:fs';
import { getContainerRuntimeClient, ImageName, Wait, type StartedTestContainer } from 'testcontainers';
import { collectLogs, exitCode, removeContainer, RingcacheContainer } from './support/container.js';
import { ensureImage } from './support/image.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

// Runs in the container with node itself (the runtime stage may have no shell): reports the
// process's ids and what happens when it writes under /app and /tmp.
const PROBE = `
const fs = require('node:fs');
const attempt = (path) => { try { fs.writeFileSync(path, 'x'); return 'written'; } catch (e) { return e.code; } };
console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), app: attempt('/app/probe'),
  dist: attempt('/app/dist/probe'), tmp: attempt('/tmp/probe') }));
`;

interface ProbeReport {
  uid: number;
  gid: number;
  app: string;
  dist: string;
  tmp: string;
}

async function probe(image: string, readOnly: boolean): Promise<ProbeReport> {
  const container = new RingcacheContainer(image)
    .withEntrypoint(['node'])
    .withCommand(['-e', PROBE])
    .withWaitStrategy(Wait.forOneShotStartup());
  if (readOnly) container.withReadOnlyRootFilesystem();
  const started = await container.start();
  try {
    const lines = (await collectLogs(started)).trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as ProbeReport;
  } finally {
    await started.stop({ remove: true });
  }
}

describe('ringcache image', () => {
  let image: string;
  beforeAll(async () => {
    image = await ensureImage();
  });

  it('declares a numeric non-root user, port 8080, the CLI entry point and its OCI labels', async () => {
    const client = await getContainerRuntimeClient();
    const { Config } = await client.image.inspect(ImageName.fromString(image));
    expect(Config.User).toBe('1000:1000');
    expect(Object.keys(Config.ExposedPorts ?? {})).toEqual(['8080/tcp']);
    expect(Config.Entrypoint).toEqual(['node', '/app/bin/ringcache.js']);
    expect(Config.Cmd).toEqual(['node']);
    expect(Config.Labels).toMatchObject({
      'org.opencontainers.image.title': 'ringcache',
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.licenses': 'Apache-2.0',
    });
  });

  it('runs as a non-root uid that cannot write to /app, even on a writable root filesystem', async () => {
    const report = await probe(image, false);
    expect(report.uid).not.toBe(0);
    expect(report.gid).not.toBe(0);
    expect(report.app).toBe('EACCES');
    expect(report.dist).toBe('EACCES');
    expect(report.tmp).toBe('written');
  });

  it('with a read-only root filesystem, writes nowhere', async () => {
    const report = await probe(image, true);
    expect(report.uid).not.toBe(0);
    expect(report.app).toBe('EROFS');
    expect(report.tmp).toBe('EROFS');
  });

  it('serves by default on a read-only root filesystem: healthy, answers keys, exits 0 on SIGTERM', async () => {
    let started: StartedTestContainer | undefined;
    try {
      // Wait for Docker's own HEALTHCHECK (node probing /healthz inside the container).
      started = await new RingcacheContainer(image)
        .withReadOnlyRootFilesystem()
        .withExposedPorts(8080)
        .withWaitStrategy(Wait.forHealthCheck())
        .withStartupTimeout(120_000)
        .start();
      const base = `http://${started.getHost()}:${started.getMappedPort(8080)}`;

      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      const put = await fetch(`${base}/v1/keys/greeting`, { method: 'PUT', body: 'hello' });
      expect(put.status).toBe(201);
      const get = await fetch(`${base}/v1/keys/greeting`);
      expect(get.status).toBe(200);
      expect(await get.text()).toBe('hello');

      // docker stop sends the image's STOPSIGNAL (SIGTERM), then SIGKILL after the timeout.
      await started.stop({ remove: false, timeout: 30_000 });
      expect(await exitCode(started.getId())).toBe(0);
    } finally {
      if (started) {
        await started.stop({ remove: false, timeout: 0 });
        await removeContainer(started.getId());
      }
    }
  });
});
