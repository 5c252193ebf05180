/**
 * What a process has spent, from /proc (Linux): CPU seconds, context switches and read/write
 * system calls. bench:cluster divides their growth by the writes acknowledged meanwhile: on a
 * small machine the cost of a write is mostly how often a process sleeps and is woken, and how
 * many messages it reads and writes, so these say why a configuration costs what it does.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessCounters {
  /** User + system CPU seconds of all threads. */
  cpuSeconds: number;
  /** Voluntary (slept, mostly in epoll) + involuntary (preempted) switches of all threads. */
  contextSwitches: number;
  /** read- and write-family system calls (sockets included). */
  syscalls: number;
}

const USER_HZ = 100;

export function readCounters(pid: number): ProcessCounters {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let contextSwitches = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    for (const match of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) {
      contextSwitches += Number(match[1]);
    }
  }
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? 0);
  return {
    // utime and stime, fields 14 and 15 of stat, in clock ticks.
    cpuSeconds: (Number(stat[11]) + Number(stat[12])) / USER_HZ,
    contextSwitches,
    syscalls: field('syscr') + field('syscw'),
  };
}

/** The counters of several processes added up. */
export function sumCounters(pids: readonly number[]): ProcessCounters {
  const total: ProcessCounters = { cpuSeconds: 0, contextSwitches: 0, syscalls: 0 };
  for (const pid of pids) {
    const c = readCounters(pid);
    total.cpuSeconds += c.cpuSeconds;
    total.contextSwitches += c.contextSwitches;
    total.syscalls += c.syscalls;
  }
  return total;
}

/** Growth from `before` to `after`, per `count` (for example per acknowledged write). */
export function perUnit(before: ProcessCounters, after: ProcessCounters, count: number): ProcessCounters {
  return {
    cpuSeconds: (after.cpuSeconds - before.cpuSeconds) / count,
    contextSwitches: (after.contextSwitches - before.contextSwitches) / count,
    syscalls: (after.syscalls - before.syscalls) / count,
  };
}
