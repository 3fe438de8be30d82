import { statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { PAGE_SIZE } from '../file-format/constants.js';
import { Segment } from '../file-format/segment.js';
import { APP_LABEL, ownStartTime, START_LABEL } from '../storage/app-identity.js';
import { createImageFile } from '../storage/image-file.js';
import { fieldLabelBytes } from '../storage/store.js';
import { filesToFamilies } from './aggregate.js';
import { ARCHIVE_LABEL, archiveLockPath, archivePath, archiveState, readAppFiles } from './app-files.js';
import { lockArchive } from './archive-lock.js';
import { appOf, fileKey, stringField } from './file-identity.js';
import { type MmstatsFile, readMmstatsFile } from './reader.js';

export interface FoldOptions {
  /**
   * Files to fold although their writer still runs: this process' own, at exit. With
   * `ownProcess`, every other file of this process (its worker threads) too.
   */
  own?: readonly string[];
  ownProcess?: boolean;
  /** How long to wait for another folder's lock; default 0 (leave the fold to it). */
  waitMs?: number;
}

export interface FoldResult {
  /** Files whose counts went into the archive by this fold. */
  folded: number;
  /** Files removed (folded now, or by an earlier fold that did not get to remove them). */
  removed: number;
  /** Another process held the lock: nothing was done. */
  locked: boolean;
}

const textEncoder = new TextEncoder();

interface Record {
  label: Uint8Array;
  sig: string;
  /** Static value, or a number for a buffered field. */
  value: Uint8Array | number;
}

/**
 * Folds the counters and histograms of `app`'s dead processes in `directory` into the app's
 * archive file, then removes their files (docs/file-format.md#the-archive). Folders exclude each
 * other with a lock file (archive-lock.ts); within the lock, a fold reads the old archive and the
 * dead files, writes the new archive under a temporary name, renames it into place with the keys
 * of the files it took in and the next generation number, and only then removes those files. A fold killed at any step leaves
 * either the old archive and the files (nothing happened), or the new archive listing files still
 * present, which readers skip and the next fold removes: no count is lost or counted twice.
 */
export function foldIntoArchive(directory: string, app: string, options: FoldOptions = {}): FoldResult {
  const lock = lockArchive(archiveLockPath(directory, app), options.waitMs ?? 0);
  if (lock === undefined) return { folded: 0, removed: 0, locked: true };
  try {
    const files = readAppFiles(directory, app);
    const own = new Set(options.own ?? []);
    const start = ownStartTime();
    const ours = (file: MmstatsFile) =>
      own.has(file.path) ||
      (options.ownProcess === true && file.pid === process.pid && stringField(file, START_LABEL) === start);
    const take = [...files.dead, ...files.live.filter(ours)];
    const remove = [...take, ...files.folded];
    if (take.length > 0) writeArchive(directory, app, files.archive, take, remove);
    for (const file of remove) unlinkQuietly(file.path);
    return { folded: take.length, removed: remove.length, locked: false };
  } finally {
    lock.release();
  }
}

function writeArchive(
  directory: string,
  app: string,
  old: MmstatsFile | undefined,
  take: readonly MmstatsFile[],
  remove: readonly MmstatsFile[],
): void {
  const inputs = old === undefined ? [...take] : [old, ...take];
  const records: Record[] = [
    staticText(APP_LABEL, app),
    staticText(
      ARCHIVE_LABEL,
      JSON.stringify({ generation: archiveState(old).generation + 1, folded: remove.map(fileKey) }),
    ),
  ];
  for (const family of filesToFamilies(inputs, { gaugesOf: () => false })) {
    if (family.type !== 'counter' && family.type !== 'histogram') continue;
    records.push(
      staticText(
        `mmstats.meta.${family.name}`,
        JSON.stringify({ type: family.type, help: family.help, unit: family.unit }),
      ),
    );
    for (const sample of family.samples) {
      const label = `${family.name}${sample.suffix}${sample.labels === '' ? '' : `{${sample.labels}}`}`;
      const sig = sample.suffix === '_bucket' || sample.suffix === '_count' ? 'Q' : 'd';
      records.push({ label: labelBytes(label), sig, value: sample.value });
    }
  }
  let used = 1 + 2;
  for (const r of records) {
    used += Segment.recordSize(
      r.label.byteLength,
      r.sig.length,
      typeof r.value === 'number' ? 16 : r.value.byteLength,
    );
  }
  const path = archivePath(directory, app);
  const file = createImageFile(
    path,
    Math.ceil(used / PAGE_SIZE) * PAGE_SIZE,
    (segment) => {
      for (const r of records) {
        if (typeof r.value !== 'number') segment.appendStatic(r.label, r.sig, r.value);
        else {
          const cell = segment.appendNumeric(r.label, r.sig as 'd' | 'Q')!;
          if (r.sig === 'Q') cell.setQ(r.value);
          else cell.setD(r.value);
        }
      }
    },
    modeOf(take[0]!.path),
    true,
  );
  file.close(false);
}

function labelBytes(label: string): Uint8Array {
  return fieldLabelBytes(label) ?? fieldLabelBytes(label.slice(0, 1000))!;
}

function staticText(label: string, value: string): Record {
  const encoded = textEncoder.encode(value);
  return {
    label: labelBytes(label),
    sig: `${Math.max(1, encoded.byteLength)}s`,
    value: encoded.byteLength > 0 ? encoded : new Uint8Array(1),
  };
}

/** The archive is as private as the files it replaces. */
function modeOf(path: string): number {
  try {
    return statSync(path).mode & 0o777;
  } catch {
    return 0o600;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}

/** Bounds the wait for another folder at exit: supervisors give a stopping process little time. */
const EXIT_WAIT_MS = 300;

/**
 * The exit archiver (storage/exit.ts): folds this process' own files, and those of its worker
 * threads, into their app's archive. When another folder holds the lock too long, the files stay
 * and the first scrape after this process is gone folds them.
 */
export function archiveAtExit(paths: readonly string[]): void {
  const groups = new Map<string, { directory: string; app: string; paths: string[] }>();
  for (const path of paths) {
    const file = readMmstatsFile(path);
    const app = file.ok ? appOf(file) : undefined;
    if (app === undefined) continue;
    const key = `${dirname(path)}\0${app}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { directory: dirname(path), app, paths: [] };
      groups.set(key, group);
    }
    group.paths.push(path);
  }
  for (const { directory, app, paths: own } of groups.values()) {
    // Worker threads are this process too, but only the main thread ends it.
    foldIntoArchive(directory, app, { own, ownProcess: isMainThread, waitMs: EXIT_WAIT_MS });
  }
}
