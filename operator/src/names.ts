/**
 * Names of everything the operator creates for a cluster, and of its ring members. Members are
 * StatefulSet pods, so their identity is `<cluster>-<ordinal>` and their address the pod's stable
 * DNS name under the headless Service (Contract 2: never a pod IP). Pure.
 */

/** The port every cache node serves on (Contract 1). */
export const NODE_PORT = 8080;

export const statefulSetName = (cluster: string): string => cluster;
export const headlessServiceName = (cluster: string): string => `${cluster}-nodes`;
export const clientServiceName = (cluster: string): string => cluster;
export const ringConfigMapName = (cluster: string): string => `${cluster}-ring`;
export const authSecretName = (cluster: string): string => `${cluster}-auth`;
export const podDisruptionBudgetName = (cluster: string): string => cluster;

export function memberId(cluster: string, ordinal: number): string {
  return `${cluster}-${ordinal}`;
}

export function memberAddress(cluster: string, namespace: string, ordinal: number): string {
  return `${memberId(cluster, ordinal)}.${headlessServiceName(cluster)}.${namespace}.svc:${NODE_PORT}`;
}

/** The ordinal of one of this cluster's pods or members, or undefined for any other name. */
export function ordinalOf(cluster: string, id: string): number | undefined {
  const prefix = `${cluster}-`;
  if (!id.startsWith(prefix)) return undefined;
  const rest = id.slice(prefix.length);
  // "0" or no leading zero: the StatefulSet never names a pod "demo-01".
  if (!/^(0|[1-9][0-9]{0,8})$/.test(rest)) return undefined;
  return Number(rest);
}
