/**
 * A container's volumes for the stand-in kubelet (kubelet.ts), which has no mount namespaces:
 * each mounted volume becomes a directory `<root>/<volume name>`, secret files are written into
 * it, and environment values naming a path under a mount are rewritten to the directory. Pure.
 */
import { posix } from 'node:path';
import type { V1Container, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

/** A Secret's `data` (base64 values by key), or undefined when it does not exist. */
export type SecretData = Record<string, string> | undefined;

export interface VolumeFile {
  /** Relative to `<root>`: `<volume name>/<item path>`. */
  path: string;
  content: Buffer;
}

interface SecretSource {
  name: string;
  items?: Array<{ key: string; path: string }>;
  optional?: boolean;
}

/** Thrown while a Secret a volume needs does not exist yet (a kubelet keeps the pod waiting). */
export class MissingSecretError extends Error {}

function mountedVolumes(pod: V1Pod, container: V1Container): Array<{ mount: V1VolumeMount; volume: V1Volume }> {
  return (container.volumeMounts ?? []).map((mount) => {
    if (mount.subPath || mount.subPathExpr) throw new Error(`volumeMount ${mount.name}: subPath is not supported`);
    const volume = pod.spec?.volumes?.find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volumeMount ${mount.name}: no such volume`);
    return { mount, volume };
  });
}

function secretSources(volume: V1Volume): SecretSource[] {
  if (volume.secret) {
    const { secretName, items, optional } = volume.secret;
    return [{ name: secretName ?? '', items, optional }];
  }
  if (volume.projected) {
    return (volume.projected.sources ?? []).map((s) => {
      if (!s.secret) throw new Error(`volume ${volume.name}: only secret projections are supported`);
      return { name: s.secret.name ?? '', items: s.secret.items, optional: s.secret.optional };
    });
  }
  if (volume.emptyDir) return [];
  throw new Error(`volume ${volume.name}: only secret, projected and emptyDir volumes are supported`);
}

/** The Secrets the container's volumes read, to fetch before calling volumeFiles. */
export function referencedSecrets(pod: V1Pod, container: V1Container): string[] {
  const names = mountedVolumes(pod, container).flatMap(({ volume }) => secretSources(volume).map((s) => s.name));
  return [...new Set(names)];
}

/** The directories (one per mounted volume) and the files to write into them. */
export function volumeFiles(
  pod: V1Pod,
  container: V1Container,
  secrets: Record<string, SecretData>,
): { dirs: string[]; files: VolumeFile[] } {
  const dirs: string[] = [];
  const files: VolumeFile[] = [];
  for (const { volume } of mountedVolumes(pod, container)) {
    dirs.push(volume.name);
    for (const source of secretSources(volume)) {
      const data = secrets[source.name];
      if (data === undefined) {
        if (source.optional) continue;
        throw new MissingSecretError(`volume ${volume.name}: Secret ${source.name} not found`);
      }
      const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const value = data[item.key];
        if (value === undefined) {
          if (source.optional) continue;
          throw new MissingSecretError(`volume ${volume.name}: Secret ${source.name} has no key ${item.key}`);
        }
        files.push({ path: posix.join(volume.name, item.path), content: Buffer.from(value, 'base64') });
      }
    }
  }
  return { dirs, files };
}

/** Where a path inside the container lives on this machine, or undefined when under no mount. */
export function hostPath(containerPath: string, mounts: V1VolumeMount[], root: string): string | undefined {
  const inside = (m: V1VolumeMount): boolean =>
    containerPath === m.mountPath || containerPath.startsWith(m.mountPath.replace(/\/$/, '') + '/');
  // The deepest mount wins, as in a real mount table.
  const mount = mounts.filter(inside).sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return undefined;
  return posix.join(root, mount.name, posix.relative(mount.mountPath, containerPath));
}

/** The environment with every value that is a path under a mount pointed at the host directory. */
export function rewritePaths(
  env: Record<string, string>,
  mounts: V1VolumeMount[],
  root: string,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => [
      name,
      value.startsWith('/') ? (hostPath(value, mounts, root) ?? value) : value,
    ]),
  );
}
