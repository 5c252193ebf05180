/**
 * The image under test. `npm run test:e2e` builds it (scripts/docker/build-image.sh) before jest
 * starts, so a suite only checks that it is there and fails with the command to run if not.
 */
import { getContainerRuntimeClient, ImageName } from 'testcontainers';

export const IMAGE = process.env.RINGCACHE_IMAGE ?? 'ringcache:dev';

export async function ensureImage(): Promise<string> {
  const client = await getContainerRuntimeClient();
  if (!(await client.image.exists(ImageName.fromString(IMAGE)))) {
    throw new Error(`image ${IMAGE} not found: build it with \`bash scripts/docker/build-image.sh\``);
  }
  return IMAGE;
}
