import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * CPU pinning with util-linux `taskset`, so the server under test and the load generator never
 * compete for one core (that competition, not the code under test, is what makes HTTP numbers
 * jump around on a small machine).
 */
export function tasksetAvailable() {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Cores for the server and for the load generator: the last two, or null when pinning is not possible. */
export function pickCores() {
  const cores = availableParallelism();
  if (cores < 2 || !tasksetAvailable()) return null;
  return { server: cores - 2, load: cores - 1 };
}

/** The command line that runs `args` pinned to `core` (unpinned when core is undefined). */
export function pinned(core, command, args) {
  return core === undefined
    ? { command, args }
    : { command: 'taskset', args: ['-c', String(core), command, ...args] };
}

/** Moves every thread of an already running process (this one, usually) onto `core`. */
export function pinProcess(pid, core) {
  execFileSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' });
}

/**
 * A line about other work on the machine: benchmarks share the CPUs with whatever else runs, and
 * a load average near the CPU count means the numbers say more about that than about the code.
 */
export function loadNote(loadavg, cores) {
  const [one] = loadavg;
  const busy = one > cores / 2;
  return `load average ${one.toFixed(2)} on ${cores} CPUs${busy ? ' — the machine is busy with other work: expect noisy numbers' : ''}`;
}
