/**
 * Pure readings of objects as the API server returns them: which pods are Ready, where the
 * operator reaches a pod, the ring stored in the ConfigMap, a token in a Secret.
 */
import { parseRingDocument, type RingDocument } from '../../../node/src/ring/document.js';
import { RING_KEY } from '../builders/index.js';
import { NODE_PORT } from '../names.js';
import type { NodeReport } from '../scaling.js';

export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: { containers?: Array<{ ports?: Array<{ name?: string; containerPort?: number }> }> };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type?: string; status?: string }> };
}

export function isReady(pod: PodLike): boolean {
  return (
    pod.metadata?.deletionTimestamp === undefined &&
    pod.status?.phase === 'Running' &&
    pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true
  );
}

/** host:port of the node in the pod: its IP and the container port named http. */
export function podEndpoint(pod: PodLike): string | undefined {
  const ip = pod.status?.podIP;
  if (!ip) return undefined;
  const port =
    pod.spec?.containers?.flatMap((c) => c.ports ?? []).find((p) => p.name === 'http')?.containerPort ??
    NODE_PORT;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The ring document stored in `<cluster>-ring`, checked with the node's parser; undefined if none. */
export function ringFromConfigMap(
  configMap: { data?: Record<string, string> } | undefined,
): RingDocument | undefined {
  const text = configMap?.data?.[RING_KEY];
  if (text === undefined) return undefined;
  return parseRingDocument(JSON.parse(text));
}

/** A Secret's key as text (Secrets hold base64), or undefined. */
export function secretValue(
  secret: { data?: Record<string, string> } | undefined,
  key: string,
): string | undefined {
  const value = secret?.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8').trim();
}

/** The node reporting the newest epoch above the recorded ring's, if any: its ring is newer. */
export function newestAhead(
  ring: RingDocument | undefined,
  reports: readonly NodeReport[],
): NodeReport | undefined {
  let newest: NodeReport | undefined;
  for (const report of reports) {
    if (report.epoch > (ring?.epoch ?? 0) && report.epoch > (newest?.epoch ?? 0)) newest = report;
  }
  return newest;
}
