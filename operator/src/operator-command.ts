/**
 * `ringcache operator`: parse the options, serve /metrics and probes, elect a leader through the
 * Lease, reconcile while leading. SIGTERM or SIGINT: stop reconciling, release the Lease (so a
 * stand-by takes over at once), exit 0.
 */
import { hostname } from 'node:os';
import { KubeConfig } from '@kubernetes/client-node';
import { configOrExit, stopSignal } from '../../node/src/config/command.js';
import { createLogger } from '../../node/src/log.js';
import { operatorHelp, parseOperatorConfig } from './config.js';
import { KubeClient } from './kube/client.js';
import { LeaderElector } from './leader/elector.js';
import { Controller } from './runtime/controller.js';
import { EventRecorder } from './runtime/events.js';
import { OperatorMetrics, startProbeServer } from './runtime/metrics.js';
import { Reconciler } from './runtime/reconciler.js';

export async function runOperatorCommand(argv: string[]): Promise<number> {
  const config = configOrExit(
    'operator',
    () => parseOperatorConfig(argv, { env: process.env, hostname: hostname() }),
    operatorHelp,
  );
  if (typeof config === 'number') return config;
  const log = createLogger(config.logLevel, undefined, { component: 'operator', identity: config.identity });
  const signalled = stopSignal();

  let client: KubeClient;
  try {
    const kc = new KubeConfig();
    if (config.kubeconfig !== undefined) kc.loadFromFile(config.kubeconfig);
    else kc.loadFromDefault();
    client = await KubeClient.fromKubeConfig(kc);
  } catch (err) {
    process.stderr.write(
      `ringcache operator: cannot use the kubeconfig ${config.kubeconfig ?? '(default)'}: ${(err as Error).message}\n`,
    );
    return 2;
  }
  const metrics = new OperatorMetrics();

  let elector: LeaderElector | undefined = undefined;
  const leadership = () => (elector?.isLeader() ? elector.leadership() : undefined);
  const reconciler = new Reconciler(
    client,
    new EventRecorder(client, config.identity, log),
    metrics,
    log,
    {
      nodeTimeoutMs: config.nodeTimeoutMs,
      pollMs: config.pollMs,
      resyncMs: config.resyncMs,
      memberAddress: config.memberAddress,
    },
    leadership,
    (atLeast) => elector?.raiseTransitions(atLeast) ?? Promise.resolve(undefined),
  );
  const controller = new Controller(
    client,
    reconciler,
    metrics,
    log,
    config.namespace,
    config.watchTimeoutSeconds,
  );
  let stopping: Promise<void> = Promise.resolve();
  elector = new LeaderElector(
    client,
    {
      namespace: config.leaseNamespace,
      name: config.leaseName,
      identity: config.identity,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      onStartedLeading: () => {
        metrics.isLeader.set(1);
        // A restart after a loss waits for the previous controller to be fully stopped.
        // Leadership may have been lost again meanwhile: start only if it still holds.
        void stopping.then(() => {
          if (elector?.isLeader()) controller.start();
        });
      },
      onStoppedLeading: () => {
        metrics.isLeader.set(0);
        // The epochs were this replica's view while it led: a stand-by publishes none.
        metrics.ringEpoch.reset();
        metrics.clusterCondition.reset();
        stopping = controller.stop();
      },
    },
    log,
  );
  const probes = await startProbeServer(
    metrics,
    config.metricsHost,
    config.metricsPort,
    () => elector!.reachedApi,
  );
  log.info('operator started', {
    metrics: `${config.metricsHost}:${probes.port}`,
    lease: `${config.leaseNamespace}/${config.leaseName}`,
    namespace: config.namespace ?? '(all)',
    memberAddress: config.memberAddress,
  });
  elector.start();

  const signal = await signalled;
  log.info('stopping', { signal });
  await elector.stop();
  await stopping;
  await controller.stop();
  await probes.close();
  log.info('stopped');
  return 0;
}
