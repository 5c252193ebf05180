/**
 * A container's environment as the kubelet computes it, for the stand-in kubelet (kubelet.ts):
 * literal values with $(VAR) references expanded, and fieldRef values read from the pod. Pure.
 */
import type { V1Container, V1EnvVar, V1Pod } from '@kubernetes/client-node';

/**
 * Kubernetes' expansion (third_party/forked/golang/expansion): `$(NAME)` is replaced when NAME is
 * defined, left as written when not; `$$` is an escaped `$`; any other `$` stays.
 */
export function expandReferences(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== '$' || i + 1 >= input.length) {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i); // unterminated: kept as is
        break;
      }
      const name = input.slice(i + 2, close);
      out += lookup(name) ?? `$(${name})`;
      i = close + 1;
    } else {
      out += c + next;
      i += 2;
    }
  }
  return out;
}

/** The value of a downward-API field path, or an error naming what this stand-in cannot give. */
export function fieldValue(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (keyed) return (keyed[1] === 'labels' ? meta.labels : meta.annotations)?.[keyed[2]] ?? '';
  const values: Record<string, string | undefined> = {
    'metadata.name': meta.name,
    'metadata.namespace': meta.namespace,
    'metadata.uid': meta.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.podIP': pod.status?.podIP,
    'status.hostIP': pod.status?.hostIP,
  };
  if (!(fieldPath in values)) throw new Error(`fieldRef ${fieldPath} is not supported by the stand-in kubelet`);
  return values[fieldPath] ?? '';
}

/**
 * The container's declared environment, in order: each variable may refer to those defined before
 * it. `pod` must already carry the podIP the process gets (status.podIP refers to it). Secret and
 * ConfigMap references are not needed by ringcache and refused rather than silently dropped.
 */
export function containerEnv(pod: V1Pod, container: V1Container): Record<string, string> {
  const env: Record<string, string> = {};
  const lookup = (name: string): string | undefined => (Object.hasOwn(env, name) ? env[name] : undefined);
  for (const v of container.env ?? []) env[v.name] = envValue(pod, v, lookup);
  return env;
}

function envValue(pod: V1Pod, v: V1EnvVar, lookup: (name: string) => string | undefined): string {
  if (v.valueFrom === undefined) return expandReferences(v.value ?? '', lookup);
  if (v.valueFrom.fieldRef) return fieldValue(pod, v.valueFrom.fieldRef.fieldPath);
  throw new Error(`env ${v.name}: only value and valueFrom.fieldRef are supported by the stand-in kubelet`);
}
