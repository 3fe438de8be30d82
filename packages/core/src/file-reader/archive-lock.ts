import { closeSync, constants, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { ownStartTime } from '../storage/app-identity.js';
import { writerLiveness } from './liveness.js';

/** A token file older than this belongs to a stealer that died mid-steal. */
const STALE_TOKEN_MS = 10_000;
const RETRY_MS = 5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

export interface ArchiveLock {
  release(): void;
}

function createExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW,
      0o600,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readQuietly(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/** The holder named in a lock file is gone (or the file never said who it was and is old). */
function isStale(path: string, content: string): boolean {
  const [pid, start] = content.trim().split(' ');
  if (pid === undefined || !/^\d+$/.test(pid)) return ageMs(path) > STALE_TOKEN_MS;
  return writerLiveness(Number(pid), start === '' ? undefined : start) === 'dead';
}

/**
 * Removes the lock of a dead holder. Two processes can find the same dead holder at once; only the
 * one that creates the `.steal` token (O_EXCL) may remove the lock, and only if it still holds the
 * content it judged stale, so a lock a live process took in between is never removed.
 */
function steal(path: string, stale: string): void {
  const token = `${path}.steal`;
  if (!createExclusive(token, `${process.pid}\n`)) {
    if (ageMs(token) > STALE_TOKEN_MS) unlinkQuietly(token);
    return;
  }
  try {
    if (readQuietly(path) === stale) unlinkQuietly(path);
  } finally {
    unlinkQuietly(token);
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

/**
 * Takes the archive's lock: a file created with O_EXCL that names its holder by PID and start
 * time, so a holder killed mid-fold does not block the archive for good. Waits up to `waitMs`
 * for a live holder; undefined when it still holds the lock then.
 */
export function lockArchive(path: string, waitMs: number): ArchiveLock | undefined {
  const mine = `${process.pid} ${ownStartTime() ?? ''}\n`;
  const deadline = Date.now() + waitMs;
  const lock: ArchiveLock = {
    release() {
      if (readQuietly(path) === mine) unlinkQuietly(path);
    },
  };
  for (;;) {
    if (createExclusive(path, mine)) return lock;
    const holder = readQuietly(path);
    if (holder !== undefined && isStale(path, holder)) {
      steal(path, holder);
      if (createExclusive(path, mine)) return lock;
    }
    if (Date.now() >= deadline) return undefined;
    sleepSync(RETRY_MS);
  }
}
