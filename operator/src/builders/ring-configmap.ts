/**
 * `<cluster>-ring`: the ring document (Contract 2) as `ring.json`, where people, tools and
 * restarting nodes can read the membership the operator last published. The document is checked
 * with the node's own parser first, so the operator can never publish one a node would refuse.
 * Pure.
 */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { parseRingDocument, type RingDocument } from '../../../node/src/ring/document.js';
import { ringConfigMapName } from '../names.js';
import type { ClusterContext } from '../types.js';
import { objectMeta } from './labels.js';

export const RING_KEY = 'ring.json';

export function ringConfigMap(cluster: ClusterContext, document: RingDocument): V1ConfigMap {
  const checked = parseRingDocument(document);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(cluster, ringConfigMapName(cluster.name)),
    data: { [RING_KEY]: `${JSON.stringify(checked, null, 2)}\n` },
  };
}
