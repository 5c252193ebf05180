import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { perUnit, readCounters, sumCounters } from '../../../bench/proc-counters.js';

describe('bench/proc-counters', () => {
  it('counts the CPU, system calls and context switches a process spends', async () => {
    // A child that burns CPU, then sleeps and wakes repeatedly, then writes to its stdout.
    const child = spawn(process.execPath, [
      '-e',
      `const end = Date.now() + 300; while (Date.now() < end);
       let n = 0; const t = setInterval(() => { process.stdout.write('x'); if (++n === 20) clearInterval(t); }, 5);`,
    ]);
    child.stdout.resume();
    const pid = child.pid as number;
    const before = readCounters(pid);
    await once(child.stdout, 'data');
    const spawned = readCounters(pid);
    // It spun for 300 ms of wall time: even on a loaded machine some of that is CPU.
    expect(spawned.cpuSeconds).toBeGreaterThan(0.02);
    expect(spawned.cpuSeconds).toBeGreaterThanOrEqual(before.cpuSeconds);
    expect(spawned.contextSwitches).toBeGreaterThan(0);
    expect(spawned.syscalls).toBeGreaterThan(0);
    const totals = sumCounters([pid, pid]);
    expect(totals.syscalls).toBeGreaterThanOrEqual(2 * spawned.syscalls);
    child.kill();
    await once(child, 'exit');
  });

  it('divides the growth between two readings by a count', () => {
    const before = { cpuSeconds: 1, contextSwitches: 10, syscalls: 100 };
    const after = { cpuSeconds: 3, contextSwitches: 30, syscalls: 500 };
    expect(perUnit(before, after, 4)).toEqual({ cpuSeconds: 0.5, contextSwitches: 5, syscalls: 100 });
  });
});
