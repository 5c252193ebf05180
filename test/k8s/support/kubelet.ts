/**
 * A stand-in for the kubelet, for one namespace (and label selector) of a test control plane,
 * where no kubelet, scheduler or container runtime runs. It binds every pod it watches to a Node
 * it registers, runs each pod's ringcache container as a real `node bin/ringcache.js` process on
 * the pod's own loopback address, reports the pod Running with Ready following the process's own
 * readiness endpoint, and on deletion runs the preStop hook, stops the process within the grace
 * period and removes the pod. The decisions are pure (pod-plan.ts, pod-env.ts, pod-volumes.ts,
 * pod-status.ts); this file is the I/O around them.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1Container,
  type V1Pod,
} from '@kubernetes/client-node';
import { httpRequest } from '../controlplane/http.js';
import { LoggedProcess } from '../controlplane/process.js';
import { CLI } from '../../support/node-process.js';
import { registerNode, type FakeNode } from './fake-node.js';
import { claimLoopback, releaseLoopback } from './loopback.js';
import {
  containerCommand,
  containerPort,
  podAction,
  podDnsNames,
  preStopCommand,
  processEnv,
  readinessPath,
  terminationGraceMs,
  type LocalCli,
} from './pod-plan.js';
import { apiTime, runningStatus, type ProcessState } from './pod-status.js';
import { MissingSecretError, referencedSecrets, volumeFiles, type SecretData } from './pod-volumes.js';

export interface StandInKubeletOptions {
  kubeconfigPath: string;
  namespace: string;
  labelSelector?: string;
  /** How often each pod's readiness endpoint is probed (default 1000 ms). */
  probeIntervalMs?: number;
  /**
   * The API server ends each watch after this long (default 300 s) and the stand-in lists and
   * watches again: a periodic resync, and the restart path exercised in every run.
   */
  watchTimeoutSeconds?: number;
  /**
   * Rewrite a running pod's Secret volume files when their Secrets change, every this many ms,
   * as the kubelet does on its sync period (atomically; a Secret gone keeps the files). Off by
   * default: a test that needs the files fixed (a rotation the pods have not seen) has that.
   */
  secretSyncMs?: number;
}

/** A pod process as tests see it. */
export interface StandInPod {
  name: string;
  uid: string;
  ip: string;
  port: number;
  /** http://ip:port */
  url: string;
  process: LoggedProcess;
}

interface Entry extends StandInPod, ProcessState {
  namespace: string;
  dnsNames: string[];
  container: V1Container;
  env: Record<string, string>;
  /** The state last written to the API (statusKey; undefined: nothing written yet). */
  reported?: string;
  terminating: boolean;
  probe?: NodeJS.Timeout;
  secretSync?: NodeJS.Timeout;
}

/** What a status report says, to skip reports that would change nothing. */
const statusKey = (e: Entry): string => (e.exit ? 'Failed' : `Running, Ready=${e.ready}`);

/** Loaded into every pod process (and into the operator the tests run): see standin-dns.mjs. */
const DNS_PRELOAD = ['--import', pathToFileURL(new URL('./standin-dns.mjs', import.meta.url).pathname).href];
const LOCAL_CLI: LocalCli = { node: process.execPath, nodeArgs: DNS_PRELOAD, script: CLI };
const RETRY_MS = 1000;
const MAX_RETRIES = 120;
const WATCH_BACKOFF_MS = 500;
const STOP_WAIT_MS = 10_000;

export class StandInKubelet {
  private readonly core: CoreV1Api;
  private readonly latest = new Map<string, V1Pod>();
  private readonly entries = new Map<string, Entry>();
  private readonly workers = new Map<string, { tail: Promise<void>; queued: boolean; failures: number }>();
  private readonly probeMs: number;
  private stopped = false;
  /** Watches opened after the first: each one followed a list (tests check the restart path ran). */
  watchRestarts = -1;
  private abortWatch: AbortController | undefined;
  private watching: Promise<void> | undefined;
  private node: FakeNode | undefined;

  private constructor(
    private readonly kc: KubeConfig,
    private readonly opts: StandInKubeletOptions,
    readonly nodeName: string,
    /** Temp directory: the kubelet's log, and per pod its volumes and its process's log. */
    readonly dir: string,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.probeMs = opts.probeIntervalMs ?? 1000;
  }

  static async start(opts: StandInKubeletOptions): Promise<StandInKubelet> {
    const kc = new KubeConfig();
    kc.loadFromFile(opts.kubeconfigPath);
    const nodeName = `stand-in-${randomBytes(3).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'ringcache-kubelet-'));
    const kubelet = new StandInKubelet(kc, opts, nodeName, dir);
    kubelet.node = await registerNode(kc, nodeName, (line) => kubelet.log(line));
    kubelet.watching = kubelet.watchLoop();
    return kubelet;
  }

  /** The pod processes running now (not yet stopped). */
  pods(): StandInPod[] {
    return [...this.entries.values()]
      .filter((e) => !e.exit)
      .map(({ name, uid, ip, port, url, process }) => ({ name, uid, ip, port, url, process }));
  }

  /**
   * How another process (the operator) resolves pod DNS names the way the pods do: node options
   * and environment to start it with.
   */
  dns(): { nodeArgs: string[]; env: Record<string, string> } {
    return { nodeArgs: [...DNS_PRELOAD], env: { RINGCACHE_STANDIN_HOSTS: this.hostsPath } };
  }

  private get hostsPath(): string {
    return join(this.dir, 'hosts');
  }

  /** Rewrites the DNS records: every running pod's names to its address (atomically: readers never see half). */
  private writeHosts(): void {
    if (this.stopped) return; // its directory is going away
    const lines = [...this.entries.values()]
      .filter((e) => !e.exit)
      .flatMap((e) => e.dnsNames.map((name) => `${e.ip} ${name}\n`));
    writeFileSync(`${this.hostsPath}.tmp`, lines.join(''));
    renameSync(`${this.hostsPath}.tmp`, this.hostsPath);
  }

  /** The path of the kubelet's own log (what it did to which pod, and why not). */
  get logPath(): string {
    return join(this.dir, 'kubelet.log');
  }

  /** Stops watching, kills every process it started, deletes its Node and its temp directory. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.abort();
    await this.watching;
    // Let syncs under way finish (a pod starting), within a bound: a termination may be waiting out its grace period.
    const tails = [...this.workers.values()].map((w) => w.tail);
    await Promise.race([Promise.all(tails), new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
    const entries = [...this.entries.values()];
    await Promise.all(entries.map((e) => this.reap(e)));
    await this.node?.stop();
    if (process.env.RINGCACHE_K8S_KEEP !== '1') await rm(this.dir, { recursive: true, force: true });
  }

  private log(line: string): void {
    try {
      appendFileSync(this.logPath, `${new Date().toISOString()} ${line}\n`);
    } catch {
      // stop() removed the directory; a late line has nowhere to go
    }
  }

  // --- watching: list, then watch from the list's version; on any end, list again -------------

  private async watchLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        const list = await this.core.listNamespacedPod({
          namespace: this.opts.namespace,
          labelSelector: this.opts.labelSelector,
        });
        const present = new Set<string>();
        for (const pod of list.items) {
          present.add(pod.metadata!.uid!);
          this.observe(pod);
        }
        // Pods deleted while no watch was open.
        for (const uid of this.latest.keys()) if (!present.has(uid)) this.forget(uid);
        this.watchRestarts++;
        await this.watchFrom(list.metadata?.resourceVersion);
      } catch (err) {
        if (!this.stopped) this.log(`pod list failed: ${String(err)}`);
      }
      if (!this.stopped) await new Promise((r) => setTimeout(r, WATCH_BACKOFF_MS));
    }
  }

  /** Resolves when the watch ends, for whatever reason (410 Gone, a dropped connection, stop()). */
  private async watchFrom(resourceVersion: string | undefined): Promise<void> {
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    this.abortWatch = await new Watch(this.kc).watch(
      `/api/v1/namespaces/${this.opts.namespace}/pods`,
      {
        labelSelector: this.opts.labelSelector,
        resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds ?? 300,
      },
      (type: string, obj: V1Pod) => {
        if (type === 'ADDED' || type === 'MODIFIED') this.observe(obj);
        else if (type === 'DELETED') this.forget(obj.metadata!.uid!);
        else if (type === 'ERROR') this.log(`watch error: ${JSON.stringify(obj)}`);
      },
      (err: unknown) => {
        if (err && !this.stopped) this.log(`watch ended: ${String(err)}`);
        ended();
      },
    );
    if (this.stopped) this.abortWatch.abort();
    await done;
  }

  private observe(pod: V1Pod): void {
    const uid = pod.metadata!.uid!;
    this.latest.set(uid, pod);
    this.schedule(uid);
  }

  private forget(uid: string): void {
    this.latest.delete(uid);
    this.schedule(uid);
  }

  // --- one worker per pod: syncs run one at a time, and events queued meanwhile coalesce --------

  private schedule(uid: string): void {
    if (this.stopped) return;
    const w = this.workers.get(uid) ?? { tail: Promise.resolve(), queued: false, failures: 0 };
    this.workers.set(uid, w);
    if (w.queued) return;
    w.queued = true;
    w.tail = w.tail.then(async () => {
      w.queued = false;
      try {
        await this.sync(uid);
        w.failures = 0;
      } catch (err) {
        const name = this.latest.get(uid)?.metadata?.name ?? uid;
        this.log(`pod ${name}: ${err instanceof Error ? err.message : String(err)}`);
        // A Secret not there yet, a conflict, a hiccup of the API server: try again, a bounded number of times.
        if (++w.failures <= MAX_RETRIES && this.latest.has(uid)) {
          setTimeout(() => this.schedule(uid), RETRY_MS).unref();
        }
      }
      if (!this.latest.has(uid) && !this.entries.has(uid) && !w.queued) this.workers.delete(uid);
    });
  }

  private async sync(uid: string): Promise<void> {
    const pod = this.latest.get(uid);
    const entry = this.entries.get(uid);
    if (!pod) {
      if (entry) await this.reap(entry);
      return;
    }
    const local = { nodeName: this.nodeName, process: !entry ? 'none' : entry.exit ? 'exited' : 'running' } as const;
    switch (podAction(pod, local)) {
      case 'bind':
        return this.bind(pod);
      case 'start':
        return this.startPod(pod);
      case 'terminate':
        return this.terminate(pod, entry);
      case 'fail':
      case 'none':
        // Report what changed: readiness, or the process's own exit.
        if (entry && !entry.terminating && entry.reported !== statusKey(entry)) await this.report(pod, entry);
    }
  }

  // --- the actions ---------------------------------------------------------------------------

  private async bind(pod: V1Pod): Promise<void> {
    const { name, namespace } = pod.metadata as { name: string; namespace: string };
    try {
      await this.core.createNamespacedPodBinding({
        name,
        namespace,
        body: { metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: this.nodeName } },
      });
      this.log(`pod ${name}: bound to ${this.nodeName}`);
    } catch (err) {
      // 409: already bound (the watch will bring the pod with its node).
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
  }

  private async startPod(pod: V1Pod): Promise<void> {
    const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
    // One container: ringcache's pods have no sidecars.
    const container = pod.spec!.containers[0];
    const podDir = join(this.dir, `${name}-${uid.slice(0, 8)}`);
    const volumeRoot = join(podDir, 'volumes');
    const secrets: Record<string, SecretData> = {};
    for (const secret of referencedSecrets(pod, container)) secrets[secret] = await this.readSecret(namespace, secret);
    const { dirs, files } = volumeFiles(pod, container, secrets);
    for (const d of dirs) await mkdir(join(volumeRoot, d), { recursive: true });
    for (const f of files) {
      await mkdir(dirname(join(volumeRoot, f.path)), { recursive: true });
      await writeFile(join(volumeRoot, f.path), f.content, { mode: 0o600 });
    }
    const [command, ...args] = containerCommand(container, LOCAL_CLI);
    const port = containerPort(container);
    const ip = await claimLoopback(port);
    let env: Record<string, string>;
    try {
      env = processEnv(pod, container, { ip, port, volumeRoot });
    } catch (err) {
      releaseLoopback(ip);
      throw err;
    }
    // The container's environment only (no NODE_OPTIONS or RINGCACHE_* of the test runner).
    const proc = new LoggedProcess(`pod ${name}`, command, args, join(podDir, 'process.log'), {
      PATH: process.env.PATH,
      ...this.dns().env,
      ...env,
    });
    const entry: Entry = {
      name,
      namespace,
      uid,
      ip,
      port,
      url: `http://${ip}:${port}`,
      process: proc,
      container,
      env,
      dnsNames: podDnsNames(pod),
      startedAt: apiTime(new Date()),
      ready: false,
      terminating: false,
    };
    this.entries.set(uid, entry);
    this.writeHosts();
    proc.child.on('exit', (code, signal) => {
      const bySignal = signal ? 128 + (constants.signals[signal] ?? 0) : 0;
      entry.exit = { code: code ?? bySignal, finishedAt: apiTime(new Date()) };
      this.writeHosts();
      if (!entry.terminating) this.log(`pod ${name}: process exited by itself (${signal ?? code})`);
      this.schedule(uid);
    });
    this.log(`pod ${name}: started ${entry.url} (pid ${proc.child.pid}), log ${proc.logPath}`);
    if (this.stopped) return this.reap(entry); // stop() ran while this pod was starting
    await this.report(pod, entry);
    this.probe(entry, readinessPath(container));
    if (this.opts.secretSyncMs !== undefined) this.syncSecrets(entry, pod, volumeRoot, this.opts.secretSyncMs);
  }

  /** Keeps the pod's Secret volume files in step with their Secrets (secretSyncMs). */
  private syncSecrets(entry: Entry, pod: V1Pod, volumeRoot: string, everyMs: number): void {
    let busy = false;
    entry.secretSync = setInterval(() => {
      if (busy || entry.terminating || entry.exit || this.stopped) return;
      busy = true;
      void this.rewriteSecretFiles(entry, pod, volumeRoot)
        .catch((err: Error) => this.log(`pod ${entry.name}: secret sync failed: ${err.message}`))
        .finally(() => (busy = false));
    }, everyMs);
  }

  private async rewriteSecretFiles(entry: Entry, pod: V1Pod, volumeRoot: string): Promise<void> {
    const secrets: Record<string, SecretData> = {};
    for (const secret of referencedSecrets(pod, entry.container)) {
      secrets[secret] = await this.readSecret(entry.namespace, secret);
    }
    let files;
    try {
      files = volumeFiles(pod, entry.container, secrets).files;
    } catch (err) {
      if (err instanceof MissingSecretError) return; // as a kubelet does: the files stay
      throw err;
    }
    for (const file of files) {
      const path = join(volumeRoot, file.path);
      const before = await readFile(path).catch(() => undefined);
      if (before?.equals(file.content)) continue;
      await writeFile(`${path}.sync`, file.content, { mode: 0o600 });
      await rename(`${path}.sync`, path);
      this.log(`pod ${entry.name}: ${file.path} rewritten from its Secret`);
    }
  }

  private async readSecret(namespace: string, name: string): Promise<SecretData> {
    try {
      return (await this.core.readNamespacedSecret({ namespace, name })).data ?? {};
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Probes readiness until the pod terminates; a change is reported through the pod's worker. */
  private probe(entry: Entry, path: string): void {
    const round = async (): Promise<void> => {
      if (entry.terminating || entry.exit || this.stopped) return;
      let ready = false;
      try {
        ready = (await httpRequest(entry.url + path, { timeoutMs: 1000 })).status === 200;
      } catch {
        ready = false;
      }
      if (ready !== entry.ready) {
        entry.ready = ready;
        this.schedule(entry.uid);
      }
      entry.probe = setTimeout(() => void round(), this.probeMs);
    };
    void round();
  }

  private async report(pod: V1Pod, entry: Entry): Promise<void> {
    const key = statusKey(entry);
    await this.core.patchNamespacedPodStatus(
      {
        name: entry.name,
        namespace: entry.namespace,
        body: runningStatus(pod, entry.container, entry, apiTime(new Date())),
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    if (entry.reported !== key) this.log(`pod ${entry.name}: reported ${key}`);
    entry.reported = key;
  }

  /** The kubelet's part of a graceful deletion: preStop, SIGTERM, SIGKILL at the deadline, then the final delete. */
  private async terminate(pod: V1Pod, entry: Entry | undefined): Promise<void> {
    const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
    if (entry?.terminating) return;
    if (entry) {
      entry.terminating = true;
      clearTimeout(entry.probe);
      const deadline = Date.now() + terminationGraceMs(pod);
      if (!entry.exit) {
        this.log(`pod ${name}: terminating (grace ${terminationGraceMs(pod)} ms)`);
        await this.runPreStop(entry, deadline);
        // As a kubelet does: at least 2 s after the hook for SIGTERM, even past the grace period.
        await entry.process.stop(Math.max(deadline - Date.now(), 2000));
        const { exitCode, signalCode } = entry.process.child;
        this.log(`pod ${name}: process stopped (${signalCode ?? exitCode})`);
      }
    }
    try {
      await this.core.deleteNamespacedPod({
        name,
        namespace,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
      this.log(`pod ${name}: deleted`);
    } catch (err) {
      if (!(err instanceof ApiException && (err.code === 404 || err.code === 409))) throw err;
    }
  }

  private async runPreStop(entry: Entry, deadline: number): Promise<void> {
    const hook = preStopCommand(entry.container, LOCAL_CLI);
    if (!hook) {
      if (entry.container.lifecycle?.preStop) this.log(`pod ${entry.name}: preStop hook skipped (not ringcache)`);
      return;
    }
    const [command, ...args] = hook;
    const timeout = Math.max(deadline - Date.now(), 1);
    const result = await new Promise<string>((resolve) =>
      execFile(
        command,
        args,
        { env: { PATH: process.env.PATH, ...this.dns().env, ...entry.env }, timeout, killSignal: 'SIGKILL' },
        (err, stdout, stderr) =>
          resolve(`${err ? `failed (${err.code ?? err.signal ?? err.message})` : 'ok'}: ${stdout.trim()} ${stderr.trim()}`),
      ),
    );
    this.log(`pod ${entry.name}: preStop ${entry.container.lifecycle!.preStop!.exec!.command!.join(' ')} ${result}`);
  }

  /** Forgets a pod: its process killed if still alive, its address released. */
  private async reap(entry: Entry): Promise<void> {
    entry.terminating = true;
    clearTimeout(entry.probe);
    clearInterval(entry.secretSync);
    await entry.process.stop(2000);
    if (this.entries.delete(entry.uid)) releaseLoopback(entry.ip);
  }
}
