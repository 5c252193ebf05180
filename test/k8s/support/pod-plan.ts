/**
 * The stand-in kubelet's decisions (kubelet.ts performs them): what to do with a pod, which
 * command and environment its process gets, how long it may take to stop. Pure.
 */
import { posix } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { containerEnv } from './pod-env.js';
import { rewritePaths } from './pod-volumes.js';

export type PodAction = 'bind' | 'start' | 'fail' | 'terminate' | 'none';

export interface LocalState {
  /** The Node this stand-in registered. */
  nodeName: string;
  /** Its process for this pod (by uid): never started (or already reaped), running, or exited by itself. */
  process: 'none' | 'running' | 'exited';
}

export function podAction(pod: V1Pod, local: LocalState): PodAction {
  const mine = pod.spec?.nodeName === local.nodeName;
  // Unbound pods are deleted by the API server at once; only bound ones wait for their kubelet.
  if (pod.metadata?.deletionTimestamp) return mine ? 'terminate' : 'none';
  // No scheduler runs: the stand-in places every pod it watches on its own Node.
  if (!pod.spec?.nodeName) return 'bind';
  if (!mine) return 'none';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 'none';
  if (local.process === 'none') return 'start';
  // A kubelet would restart the container; the stand-in fails the pod and its controller replaces it.
  if (local.process === 'exited') return 'fail';
  return 'none';
}

/** How to run the image's entry point (`ringcache`) from this checkout. */
export interface LocalCli {
  node: string;
  /** Options of node itself, before the script (the stand-in's DNS preload). */
  nodeArgs: string[];
  script: string;
}

/**
 * A container command as a local command line: `ringcache ...` and `node <...>/bin/ringcache.js ...`
 * run the checkout's CLI; anything else is undefined (the stand-in runs only ringcache).
 */
export function localCommand(command: string[], cli: LocalCli): string[] | undefined {
  const local = [cli.node, ...cli.nodeArgs, cli.script];
  if (command[0] === 'ringcache') return [...local, ...command.slice(1)];
  if (posix.basename(command[0] ?? '') === 'node' && command[1]?.endsWith('/bin/ringcache.js')) {
    return [...local, ...command.slice(2)];
  }
  return undefined;
}

/** The container's process: its command (the image's entry point is `ringcache`) and args. */
export function containerCommand(container: V1Container, cli: LocalCli): string[] {
  const cmd = localCommand(container.command ?? ['ringcache'], cli);
  if (!cmd) throw new Error(`container ${container.name}: command ${container.command?.join(' ')} is not ringcache`);
  return [...cmd, ...(container.args ?? [])];
}

/** The preStop exec hook as a local command; undefined when there is none or it is not ringcache. */
export function preStopCommand(container: V1Container, cli: LocalCli): string[] | undefined {
  const command = container.lifecycle?.preStop?.exec?.command;
  return command?.length ? localCommand(command, cli) : undefined;
}

/** The port the container serves on: its first declared TCP port. */
export function containerPort(container: V1Container): number {
  const port = (container.ports ?? []).find((p) => (p.protocol ?? 'TCP') === 'TCP')?.containerPort;
  if (port === undefined) throw new Error(`container ${container.name} declares no TCP port`);
  return port;
}

export interface Placement {
  /** The pod's own loopback address, 127.0.0.x. */
  ip: string;
  port: number;
  /** Where the pod's volumes were materialised (pod-volumes.ts). */
  volumeRoot: string;
}

/**
 * The process's environment: the container's, computed with the pod's IP, paths under volume
 * mounts pointed at their directories, and the node told to listen on its own address (all
 * stand-in pods share one network namespace). The advertised address stays the pod's own (its
 * DNS name resolves through the stand-in's DNS, standin-dns.mjs).
 */
export function processEnv(pod: V1Pod, container: V1Container, at: Placement): Record<string, string> {
  const placed: V1Pod = { ...pod, status: { ...pod.status, podIP: at.ip, hostIP: '127.0.0.1' } };
  const env = rewritePaths(containerEnv(placed, container), container.volumeMounts ?? [], at.volumeRoot);
  return { ...env, RINGCACHE_HOST: at.ip, RINGCACHE_PORT: String(at.port) };
}

/**
 * The pod's DNS names, as cluster DNS gives them to a pod with a hostname and a subdomain (a
 * StatefulSet's pods under its headless Service): `<hostname>.<subdomain>.<namespace>.svc[.cluster.local]`.
 */
export function podDnsNames(pod: V1Pod): string[] {
  const { hostname, subdomain } = pod.spec ?? {};
  if (!hostname || !subdomain) return [];
  const name = `${hostname}.${subdomain}.${pod.metadata?.namespace ?? 'default'}.svc`;
  return [name, `${name}.cluster.local`];
}

/** The time the pod has to stop, preStop hook included (a kubelet's default is 30 s). */
export function terminationGraceMs(pod: V1Pod): number {
  const seconds = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return seconds * 1000;
}

/** The path of the container's HTTP readiness probe (the stand-in probes it on the pod's address). */
export function readinessPath(container: V1Container): string {
  return container.readinessProbe?.httpGet?.path ?? '/';
}
