import { START_LABEL, startTimeOf } from '../storage/app-identity.js';
import { ARCHIVE_LABEL } from './archive-label.js';
import { stringField } from './file-identity.js';
import type { MmstatsFile } from './reader.js';

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the process that wrote a file still runs: `kill(pid, 0)` says whether the PID exists
 * (EPERM: it does, as another user's), and where there is a `/proc`, the start time recorded in
 * the file must match the kernel's, or the PID now belongs to a new process and the writer is dead.
 */
export function writerLiveness(pid: number | undefined, startTime?: string): Liveness {
  // 0 and negative numbers name process groups, not processes: never ask about those.
  if (pid === undefined || !Number.isInteger(pid) || pid < 1 || pid > 0x7fffffff) return 'unknown';
  try {
    process.kill(pid, 0);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'dead';
    // Another user's process: alive, and its /proc entry may be hidden from us.
    return code === 'EPERM' ? 'alive' : 'unknown';
  }
  if (startTime === undefined) return 'alive';
  const now = startTimeOf(pid);
  // No procfs, or the process ended between the two questions.
  if (now === undefined) return process.platform === 'linux' ? 'dead' : 'alive';
  return now === startTime ? 'alive' : 'dead';
}

export function fileLiveness(file: MmstatsFile): Liveness {
  return writerLiveness(file.pid, stringField(file, START_LABEL));
}

/** What a listing shows a file as: a running writer's, a dead one's, or an app's archive. */
export type FileState = 'live' | 'dead' | 'archive';

export function fileState(file: MmstatsFile): FileState {
  if (stringField(file, ARCHIVE_LABEL) !== undefined) return 'archive';
  // A writer we cannot tell about (no sys.pid, an odd PID) is shown: hiding it would hide data.
  return fileLiveness(file) === 'dead' ? 'dead' : 'live';
}
