/**
 * `<cluster>`: the Service clients use (`http://<cluster>.<namespace>.svc:8080`). It balances
 * over Ready pods only; any node answers for any key, and a ring-aware client skips the hop by
 * reading the ring and calling the owners through the headless names. Pure.
 */
import type { V1Service } from '@kubernetes/client-node';
import { NODE_PORT, clientServiceName } from '../names.js';
import type { ClusterContext } from '../types.js';
import { objectMeta, selectorLabels } from './labels.js';

export function clientService(cluster: ClusterContext): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cluster, clientServiceName(cluster.name)),
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(cluster.name),
      ports: [{ name: 'http', port: NODE_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}
