/**
 * The operator's calls to cache nodes, at the pod's IP and container port: GET /v1/status (the
 * client token: the node serves it under /v1 like any client route) for what the scaling state
 * machine needs, and PUT /v1/ring (the peer credential) to install a ring.
 */
import { request } from 'node:http';
import { parseRingDocument, type RingDocument } from '../../../node/src/ring/document.js';
import type { NodeReport } from '../scaling.js';

export interface NodeTarget {
  id: string;
  /** host:port the operator reaches the pod at (pod IP and container port). */
  endpoint: string;
}

interface Answer {
  status: number;
  text: string;
}

function call(
  url: string,
  method: string,
  token: string | undefined,
  timeoutMs: number,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const req = request(url, { method, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * What the node says of itself, or why it said nothing (it then counts as not reported): a
 * refused token or an unreachable pod would otherwise look like a hand-off that never ends.
 */
export async function nodeReport(
  target: NodeTarget,
  token: string | undefined,
  timeoutMs: number,
): Promise<{ report: NodeReport } | { problem: string; credentialRefused?: true }> {
  try {
    const answer = await call(`http://${target.endpoint}/v1/status`, 'GET', token, timeoutMs);
    if (answer.status === 401 || answer.status === 403)
      return {
        problem: `GET /v1/status: ${answerError(answer.status, answer.text)}`,
        credentialRefused: true,
      };
    if (answer.status !== 200)
      return { problem: `GET /v1/status: ${answerError(answer.status, answer.text)}` };
    const status = JSON.parse(answer.text) as { cluster?: { epoch?: number; handoffComplete?: boolean } };
    if (typeof status.cluster?.epoch !== 'number')
      return { problem: 'GET /v1/status: no cluster.epoch in the answer' };
    return {
      report: {
        id: target.id,
        epoch: status.cluster.epoch,
        handoffComplete: status.cluster.handoffComplete === true,
      },
    };
  } catch (err) {
    return { problem: `GET /v1/status: ${(err as Error).message}` };
  }
}

/** `401 UNAUTHORIZED: <message>` from a node's JSON error, or the status and the start of the text. */
function answerError(status: number, text: string): string {
  try {
    const { code, message } = (JSON.parse(text) as { error: { code: string; message: string } }).error;
    return `${status} ${code}: ${message}`;
  } catch {
    return `${status} ${text.slice(0, 200)}`;
  }
}

/** The ring the node has installed (GET /v1/ring), checked with the node's parser; undefined if none. */
export async function nodeRing(
  target: NodeTarget,
  token: string | undefined,
  timeoutMs: number,
): Promise<RingDocument | undefined> {
  try {
    const answer = await call(`http://${target.endpoint}/v1/ring`, 'GET', token, timeoutMs);
    return answer.status === 200 ? parseRingDocument(JSON.parse(answer.text)) : undefined;
  } catch {
    return undefined;
  }
}

export type PushResult = 'installed' | 'newer' | 'deposed' | 'failed';

/**
 * What a node's answer to PUT /v1/ring means. 409 STALE_RING: the node already has this epoch or
 * a newer one, as good as installed for this document (the caller re-reads the nodes' epochs).
 * 409 DEPOSED_PUBLISHER: the node holds a ring from a publisher that deposes ours (a later
 * Lease term, or an earlier Lease whose count this one has not passed): no epoch will do until
 * the Lease is raised past it. Pure.
 */
export function pushOutcome(status: number, text: string): { result: PushResult; detail?: string } {
  if (status === 200) return { result: 'installed' };
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
  } catch {
    // Not JSON (a proxy's plain-text answer): told as is below.
  }
  const message = typeof error?.message === 'string' ? error.message : text.slice(0, 300);
  if (status === 409 && error?.code === 'DEPOSED_PUBLISHER') return { result: 'deposed', detail: message };
  if (status === 409) return { result: 'newer', detail: message };
  return { result: 'failed', detail: `${status} ${text.slice(0, 300)}` };
}

/** PUT /v1/ring; see pushOutcome for what the answers mean. */
export async function pushRing(
  target: NodeTarget,
  document: RingDocument,
  peerToken: string | undefined,
  timeoutMs: number,
): Promise<{ result: PushResult; detail?: string }> {
  try {
    const answer = await call(
      `http://${target.endpoint}/v1/ring`,
      'PUT',
      peerToken,
      timeoutMs,
      JSON.stringify(document),
    );
    return pushOutcome(answer.status, answer.text);
  } catch (err) {
    return { result: 'failed', detail: (err as Error).message };
  }
}
