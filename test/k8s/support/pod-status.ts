/**
 * The status the stand-in kubelet reports for a pod it runs, as the body of a merge patch on
 * pods/status (lists are replaced whole, so each is complete). Pure.
 */
import type { V1Container, V1Pod, V1PodCondition } from '@kubernetes/client-node';

export interface ProcessState {
  ip: string;
  /** RFC 3339, whole seconds (the API's metav1.Time). */
  startedAt: string;
  /** The last readiness probe passed. */
  ready: boolean;
  /** Set once the process has exited (signals as 128 + number, like a container runtime). */
  exit?: { code: number; finishedAt: string };
}

/** A metav1.Time string: RFC 3339 in UTC without fractions. */
export function apiTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}

export function runningStatus(pod: V1Pod, container: V1Container, run: ProcessState, now: string): object {
  const ready = run.ready && !run.exit;
  const flag = (b: boolean): string => (b ? 'True' : 'False');
  const previous = pod.status?.conditions ?? [];
  // lastTransitionTime moves only when a condition's status changes.
  const condition = (type: string, status: string): object => {
    const before = previous.find((c: V1PodCondition) => c.type === type);
    const since = before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { type, status, lastTransitionTime: since instanceof Date ? apiTime(since) : since };
  };
  const state = run.exit
    ? {
        terminated: {
          exitCode: run.exit.code,
          reason: run.exit.code === 0 ? 'Completed' : 'Error',
          startedAt: run.startedAt,
          finishedAt: run.exit.finishedAt,
        },
      }
    : { running: { startedAt: run.startedAt } };
  return {
    status: {
      phase: run.exit ? 'Failed' : 'Running',
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: run.ip,
      podIPs: [{ ip: run.ip }],
      startTime: run.startedAt,
      conditions: [
        condition('PodScheduled', 'True'),
        condition('Initialized', 'True'),
        condition('ContainersReady', flag(ready)),
        condition('Ready', flag(ready)),
      ],
      containerStatuses: [
        {
          name: container.name,
          image: container.image ?? '',
          imageID: '',
          ready,
          started: !run.exit,
          restartCount: 0,
          state,
        },
      ],
    },
  };
}
