/** What testcontainers lacks for these suites: a read-only root filesystem, logs and exit codes. */
import { getContainerRuntimeClient, GenericContainer, type StartedTestContainer } from 'testcontainers';

export class RingcacheContainer extends GenericContainer {
  /** Like `docker run --read-only`: the container can write nowhere but its tmpfs mounts. */
  withReadOnlyRootFilesystem(): this {
    this.hostConfig.ReadonlyRootfs = true;
    return this;
  }
}

/** Everything the container printed so far (stdout and stderr); resolves once it has exited. */
export async function collectLogs(container: StartedTestContainer): Promise<string> {
  const stream = await container.logs();
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

export async function exitCode(containerId: string): Promise<number> {
  const client = await getContainerRuntimeClient();
  const info = await client.container.inspect(client.container.getById(containerId));
  return info.State.ExitCode;
}

export async function removeContainer(containerId: string): Promise<void> {
  const client = await getContainerRuntimeClient();
  await client.container.remove(client.container.getById(containerId), { removeVolumes: true });
}
