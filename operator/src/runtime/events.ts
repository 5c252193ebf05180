/**
 * Kubernetes Events on a CacheCluster (core/v1, what `kubectl describe` shows). Best effort: an
 * Event that cannot be written is logged, never fails a reconcile.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../node/src/log.js';
import { paths, type KubeClient } from '../kube/client.js';
import { API_VERSION, KIND } from '../types.js';

export const COMPONENT = 'ringcache-operator';

export interface EventTarget {
  name: string;
  namespace: string;
  uid: string;
}

export type EventType = 'Normal' | 'Warning';

/** The Event object: pure, so its shape is unit-testable. */
export function buildEvent(
  target: EventTarget,
  type: EventType,
  reason: string,
  message: string,
  reportingInstance: string,
  now: Date,
  suffix: string,
): Record<string, unknown> {
  const time = now.toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${target.name}.${suffix}`, namespace: target.namespace },
    involvedObject: {
      apiVersion: API_VERSION,
      kind: KIND,
      name: target.name,
      namespace: target.namespace,
      uid: target.uid,
    },
    type,
    reason,
    // The API server refuses messages over 1 KiB.
    message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
    source: { component: COMPONENT },
    reportingComponent: COMPONENT,
    reportingInstance,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

export class EventRecorder {
  constructor(
    private readonly client: KubeClient,
    private readonly identity: string,
    private readonly log: Logger,
  ) {}

  async record(target: EventTarget, type: EventType, reason: string, message: string): Promise<void> {
    const body = buildEvent(
      target,
      type,
      reason,
      message,
      this.identity,
      new Date(),
      randomBytes(8).toString('hex'),
    );
    try {
      const answer = await this.client.call({
        method: 'POST',
        path: paths.events(target.namespace),
        body,
        timeoutMs: 5000,
      });
      if (answer.status !== 201) {
        this.log.warn('could not record an Event', {
          reason,
          status: answer.status,
          message: answer.body?.message,
        });
      }
    } catch (err) {
      this.log.warn('could not record an Event', { reason, err: (err as Error).message });
    }
  }
}
