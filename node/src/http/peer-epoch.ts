/**
 * Every peer call carries its sender's ring epoch and address (cluster/peers.ts): a node that
 * sees a newer epoch than its own missed a publication and fetches the ring from the sender.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import { HEADER_EPOCH, HEADER_SENDER, type Peers } from '../cluster/peers.js';
import type { Logger } from '../log.js';
import { parseRingDocument } from '../ring/document.js';

export interface EpochLearnerContext {
  cluster: Cluster;
  peers: Peers;
  logger: Logger;
}

export function epochLearner(ctx: EpochLearnerContext): (headers: IncomingHttpHeaders) => void {
  return (headers) => {
    const epoch = Number(headers[HEADER_EPOCH]);
    const sender = headers[HEADER_SENDER];
    if (!(epoch > ctx.cluster.epoch) || typeof sender !== 'string') return;
    const address = sender.slice(sender.indexOf('@') + 1);
    void ctx.peers.fetchRing(address).then(
      (json) => ctx.cluster.install(parseRingDocument(json)),
      (err: unknown) => ctx.logger.warn('could not fetch a newer ring', { from: address, err }),
    );
  };
}
