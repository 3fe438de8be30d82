import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsError } from '../errors.js';
import { checkChosenDirectory, preparePrivateDirectory } from '../storage/file-directory.js';
import { fileName, NAME_ATTEMPTS, numberedFileName } from '../storage/file-names.js';
import type { ResolvedOptions } from './options.js';

/** Whether a stats object still owns its file. */
export interface FileOwner {
  closed: boolean;
}

/** Files of this process's live stats objects: two objects must never write one file. */
const held = new Map<string, WeakRef<FileOwner>>();

function heldByUs(path: string): boolean {
  const owner = held.get(path)?.deref();
  if (owner === undefined || owner.closed) {
    held.delete(path);
    return false;
  }
  return true;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function prepareDirectory(options: ResolvedOptions): void {
  try {
    if (options.privateDirectory) preparePrivateDirectory(options.directory);
    else checkChosenDirectory(options.directory);
  } catch (error) {
    throw new MetricsError(
      'STORAGE',
      `Cannot write mmstats files in "${options.directory}": ${(error as Error).message} ` +
        'Pass an existing, writable directory as the directory option (or in MMSTATS_PATH).',
    );
  }
}

/**
 * Where the file of a new stats object goes. A name the user gave is used as it is (replacing a
 * dead process's file, as mmstats did); the default name is numbered (`-2`, …) past any file that
 * exists, since that may be a registry's file of this same process or a dead one's totals.
 */
export function claimStatsPath(options: ResolvedOptions, owner: FileOwner): string {
  prepareDirectory(options);
  let path: string | undefined;
  if (options.filename !== undefined) {
    path = join(options.directory, fileName({ MMSTATS_FILES: options.filename }));
    if (heldByUs(path)) {
      throw new MetricsError(
        'INVALID_OPTION',
        `${path} is already written by another stats object of this process. Give each one its own filename, e.g. "mmstats-{CMD}-{PID}-web.mmstats".`,
      );
    }
  } else {
    const base = fileName();
    for (let n = 1; n <= NAME_ATTEMPTS && path === undefined; n++) {
      const candidate = join(options.directory, numberedFileName(base, n));
      if (!exists(candidate) && !heldByUs(candidate)) path = candidate;
    }
    if (path === undefined) {
      throw new MetricsError(
        'STORAGE',
        `${NAME_ATTEMPTS} file names starting with ${base} are taken in ${options.directory}. Remove old files (mmstats clean) or pass a filename.`,
      );
    }
  }
  held.set(path, new WeakRef(owner));
  return path;
}
