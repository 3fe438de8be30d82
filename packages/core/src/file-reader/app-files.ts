import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { appSlug, START_LABEL } from '../storage/app-identity.js';
import type { MmstatsSkippedFile } from './discover.js';
import { appOf, fileKey, stringField } from './file-identity.js';
import { fileLiveness, type Liveness } from './liveness.js';
import {
  describeFsError,
  type MmstatsFile,
  type MmstatsReadOptions,
  type MmstatsReadResult,
  readMmstatsFile,
} from './reader.js';

/** The `*.mmstats` files of a directory, read as a plain directory (its name is no glob). */
function listDirectory(directory: string): { paths: string[]; missing: MmstatsSkippedFile[] } {
  try {
    const names = readdirSync(directory).filter((n) => n.endsWith('.mmstats') && !n.startsWith('.'));
    return { paths: names.sort().map((n) => join(directory, n)), missing: [] };
  } catch (error) {
    return { paths: [], missing: [{ path: directory, reason: describeFsError(error) }] };
  }
}

import { ARCHIVE_LABEL } from './archive-label.js';
import { lockArchive } from './archive-lock.js';
import { CachedReader, writtenByMmstats } from './cached-reader.js';

export { ARCHIVE_LABEL };

const ARCHIVE_PREFIX = 'mmstats-archive-';

/** Where an app's archive lives: one per app and directory, found by the `*.mmstats` glob too. */
export function archivePath(directory: string, app: string): string {
  return join(directory, `${ARCHIVE_PREFIX}${appSlug(app)}.mmstats`);
}

export function isArchivePath(path: string): boolean {
  return basename(path).startsWith(ARCHIVE_PREFIX);
}

interface ArchiveState {
  /** One more at every fold: tells a reader that a fold completed while it read. */
  generation: number;
  /** `fileKey`s of the files the last fold took in (or found still present). */
  folded: Set<string>;
}

/** What an archive says about itself (its `mmstats.archive` field). */
export function archiveState(archive: MmstatsFile | undefined): ArchiveState {
  const state: ArchiveState = { generation: 0, folded: new Set() };
  if (archive === undefined) return state;
  try {
    const parsed = JSON.parse(stringField(archive, ARCHIVE_LABEL) ?? '{}') as Record<string, unknown>;
    if (typeof parsed.generation === 'number') state.generation = parsed.generation;
    if (Array.isArray(parsed.folded)) {
      for (const key of parsed.folded) if (typeof key === 'string') state.folded.add(key);
    }
  } catch {}
  return state;
}

/** One app's files in one directory, as of one consistent look. */
export interface AppFiles {
  /** Files whose writer runs (or cannot be told dead). */
  live: MmstatsFile[];
  /** Files whose writer is gone, not yet in the archive. */
  dead: MmstatsFile[];
  /** The app's archive: the counters and histograms of processes folded in. */
  archive: MmstatsFile | undefined;
  /** Files the archive already holds but that were not removed yet (a fold in progress). */
  folded: MmstatsFile[];
  skipped: MmstatsSkippedFile[];
}

/** Scrapes read the same files over and over: their layouts are remembered between reads. */
const cache = new CachedReader();

/** The cache serves default reads; other byte orders or limits take the full reader. */
function reader(options: MmstatsReadOptions): (path: string) => MmstatsReadResult {
  return Object.keys(options).length === 0
    ? (path) => cache.read(path, writtenByMmstats)
    : (path) => readMmstatsFile(path, options);
}

/** A fold takes milliseconds; a reader that keeps meeting new ones takes its last look. */
const READ_ATTEMPTS = 5;
/** How long a reader that keeps meeting new folds waits for the lock before taking its last look. */
const LOCKED_READ_WAIT_MS = 1000;

/**
 * Reads the files of `app` in `directory` so that a fold running at the same time neither drops
 * nor doubles a count. A fold renames the new archive into place before it removes the files it
 * took in, and lists them in it. The archive is read before and after the files: when both reads
 * show the same generation, every file read is either not in that archive or listed as folded
 * (and left out here); when a fold completed in between, the whole look is taken again, and after
 * a few such looks once more under the archive's lock.
 */
export function readAppFiles(
  directory: string,
  app: string,
  options: MmstatsReadOptions = {},
  /** Paths (resolved) not to read at all: the caller's own files, which it has from memory. */
  skip: ReadonlySet<string> = new Set(),
): AppFiles {
  let files = readOnce(directory, app, options, skip);
  for (let i = 1; i < READ_ATTEMPTS && files.stale; i++) files = readOnce(directory, app, options, skip);
  if (!files.stale) return files.result;
  // Folds keep completing while we read: read under the archive's lock, where none can.
  const lock = lockArchive(archiveLockPath(directory, app), LOCKED_READ_WAIT_MS);
  try {
    return readOnce(directory, app, options, skip).result;
  } finally {
    lock?.release();
  }
}

/** The lock folds of `app` take (archive-lock.ts); hidden from every reader glob. */
export function archiveLockPath(directory: string, app: string): string {
  return join(directory, `.mmstats-archive-${appSlug(app)}.lock`);
}

function readArchive(directory: string, app: string, options: MmstatsReadOptions): MmstatsFile | undefined {
  const read = reader(options)(archivePath(directory, app));
  return read.ok && appOf(read) === app ? read : undefined;
}

function readOnce(
  directory: string,
  app: string,
  options: MmstatsReadOptions,
  skip: ReadonlySet<string>,
): { result: AppFiles; stale: boolean } {
  const before = archiveState(readArchive(directory, app, options)).generation;
  const { paths, missing } = listDirectory(directory);
  const read = reader(options);
  const mine: MmstatsFile[] = [];
  const skipped = [...missing];
  for (const path of paths) {
    if (isArchivePath(path) || skip.has(resolve(path))) continue;
    const result = read(path);
    if (!result.ok) {
      // A file removed since the listing was folded or cleaned: nothing to report.
      if (result.reason !== 'no such file or directory') skipped.push({ path, reason: result.reason });
    } else if (appOf(result) === app) mine.push(result);
  }
  const archive = readArchive(directory, app, options);
  cache.keepOnly(new Set([...paths, archivePath(directory, app)]));
  const state = archiveState(archive);
  const files: AppFiles = { live: [], dead: [], archive, folded: [], skipped };
  // Threads of one process, and the several files of one registry, share one answer.
  const liveness = new Map<string, Liveness>();
  for (const file of mine) {
    const writer = `${file.pid}:${stringField(file, START_LABEL)}`;
    let alive = liveness.get(writer);
    if (alive === undefined) {
      alive = fileLiveness(file);
      liveness.set(writer, alive);
    }
    if (state.folded.has(fileKey(file))) files.folded.push(file);
    else if (alive === 'dead') files.dead.push(file);
    else files.live.push(file);
  }
  return { result: files, stale: state.generation !== before };
}

export interface AppSummary {
  app: string;
  /** Files of running processes (and threads). */
  live: number;
  /** Files of processes that are gone, not yet folded into the archive. */
  dead: number;
  /** The app has an archive file here. */
  archived: boolean;
}

/** The apps whose files are in `directory`, sorted by name: what `mmstats web` lists first. */
export function listApps(directory: string, options: MmstatsReadOptions = {}): AppSummary[] {
  const apps = new Map<string, AppSummary>();
  const entry = (app: string) => {
    let summary = apps.get(app);
    if (summary === undefined) {
      summary = { app, live: 0, dead: 0, archived: false };
      apps.set(app, summary);
    }
    return summary;
  };
  for (const path of listDirectory(directory).paths) {
    const file = readMmstatsFile(path, options);
    const app = file.ok ? appOf(file) : undefined;
    if (!file.ok || app === undefined) continue;
    if (isArchivePath(path)) entry(app).archived = true;
    else if (fileLiveness(file) === 'dead') entry(app).dead++;
    else entry(app).live++;
  }
  return [...apps.values()].sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0));
}
