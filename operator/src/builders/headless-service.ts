/**
 * `<cluster>-nodes`: the headless Service that gives each pod its stable DNS name
 * (`<cluster>-<ordinal>.<cluster>-nodes.<namespace>.svc`), the ring members' addresses. It
 * publishes pods before they are Ready: a joining node must be reachable by its peers to receive
 * its share, and readiness only says it holds it. Pure.
 */
import type { V1Service } from '@kubernetes/client-node';
import { NODE_PORT, headlessServiceName } from '../names.js';
import type { ClusterContext } from '../types.js';
import { objectMeta, selectorLabels } from './labels.js';

export function headlessService(cluster: ClusterContext): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cluster, headlessServiceName(cluster.name)),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(cluster.name),
      ports: [{ name: 'http', port: NODE_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
