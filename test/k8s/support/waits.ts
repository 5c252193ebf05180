/** Waiting in the control-plane tests, with the stand-in kubelet's log attached to a failure. */
import { existsSync, readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/http.js';
import type { StandInKubelet } from './kubelet.js';

/**
 * waitFor, and on failure the end of the stand-in's log: most failures are its to explain.
 * `abort` ends the wait early with its reason (a process the test needs has died).
 */
export async function waitLogged<T>(
  kubelet: StandInKubelet,
  what: string,
  ms: number,
  check: () => Promise<T | undefined>,
  abort: () => string | undefined = () => undefined,
): Promise<T> {
  try {
    return await waitFor(what, ms, check, abort);
  } catch (err) {
    const log = existsSync(kubelet.logPath) ? readFileSync(kubelet.logPath, 'utf8').split('\n').slice(-30) : [];
    (err as Error).message += `\n--- stand-in kubelet log (${kubelet.logPath}):\n${log.join('\n')}`;
    throw err;
  }
}

export const isPodReady = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
