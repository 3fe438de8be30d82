import { lstatSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsError } from '../errors.js';
import type { Cell } from '../file-format/cell.js';
import { PAGE_SIZE } from '../file-format/constants.js';
import { type NumericSig, Segment } from '../file-format/segment.js';
import { APP_LABEL, ownStartTime, START_LABEL } from './app-identity.js';
import {
  appendDefaultFields,
  currentIdentity,
  defaultFieldsBytes,
  type ProcessIdentity,
} from './default-fields.js';
import { checkChosenDirectory, preparePrivateDirectory } from './file-directory.js';
import { fileName, NAME_ATTEMPTS, numberedFileName } from './file-names.js';
import { createImageFile, type ImageFile } from './image-file.js';
import { mmapBinding, mmapUnavailableReason } from './mmap.js';
import { closeAtExit, OpenFiles } from './open-files.js';
import { FileWatch, type StorageStatus } from './storage-health.js';
import { fieldLabelBytes, MemoryStore, type StorageBackend, type Store } from './store.js';

/** Options after defaults (see StorageOptions in create-store.ts for what each means). */
export interface FileStoreOptions {
  directory: string;
  /** The per-user default directory: created 0700 and checked before use (docs/file-format.md#creating-a-file). */
  privateDirectory: boolean;
  backend: 'auto' | 'mmap' | 'fallback';
  interval: number;
  removeOnExit: boolean;
  segmentSize: number;
  mode: number;
  /** The application the files belong to, written as `mmstats.app` (see app-identity.ts). */
  app: string;
}

interface StaticRecord {
  label: Uint8Array;
  sig: string;
  value: Uint8Array;
}

export const STORAGE_WARNING = 'MMSTATS_STORAGE';
const textEncoder = new TextEncoder();

/** File numbers are per process (per thread, as module state is), so every store gets its own names. */
let nextFileNumber = 1;

/** True when something other than a symlink sits at `path`: it may be a dead process's totals. */
function occupied(path: string): boolean {
  try {
    return !lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function claimPath(directory: string): string {
  const base = fileName();
  for (let i = 0; i < NAME_ATTEMPTS; i++) {
    const path = join(directory, numberedFileName(base, nextFileNumber++));
    if (!occupied(path)) return path;
  }
  throw new Error(`${NAME_ATTEMPTS} file names starting with ${base} are taken`);
}

/**
 * Values in mmstats version-1 files, one writer per file (docs/file-format.md#writers-and-readers).
 * Files are made on first use; when one is full the next one starts (`-2`, `-3`, …), each with the
 * default fields and the metadata. Any failure to make a file turns new fields into plain memory,
 * with one warning: metrics never stop working because of storage.
 */
export class FileStore implements Store {
  private readonly open: OpenFiles;
  private readonly publishers: (() => void)[] = [];
  private readonly statics = new Map<string, StaticRecord>();
  private current: ImageFile | undefined;
  /** Set once files are off for good: after a failure or close(). */
  private memory: MemoryStore | undefined;
  private identity: ProcessIdentity | undefined;
  private timer: NodeJS.Timeout | undefined;
  private untrack: (() => void) | undefined;
  /** Warnings already given, by kind: each kind of trouble is logged once per store. */
  private readonly warned = new Set<string>();
  private closed = false;
  private readonly watch = new FileWatch();
  private errorCount = 0;
  private labelTooLong = 0;
  private oversized: MemoryStore | undefined;
  /** A write failed and has not succeeded since: the file shows older values than memory. */
  private writeFailing = false;

  constructor(private readonly options: FileStoreOptions) {
    this.open = new OpenFiles(options.removeOnExit);
    // Every file says whose it is and when its writer started: the reader groups by the first and
    // tells a dead writer from a reused PID by the second.
    // Kept for the first file, which is made only when the first metric needs it.
    this.statics.set(APP_LABEL, staticRecord(APP_LABEL, options.app));
    const start = ownStartTime();
    if (start !== undefined) this.statics.set(START_LABEL, staticRecord(START_LABEL, start));
  }

  get backend(): StorageBackend {
    if (this.memory !== undefined) return 'memory';
    if (this.current !== undefined) return this.current.backend;
    return this.options.backend !== 'fallback' && mmapBinding() !== null ? 'mmap' : 'fallback';
  }

  /** The application these files belong to (`mmstats.app`), which the cluster view groups by. */
  get app(): string {
    return this.options.app;
  }

  get directory(): string {
    return this.options.directory;
  }

  get files(): readonly string[] {
    return this.open.paths();
  }

  field(label: string, sig: NumericSig): Cell {
    const bytes = fieldLabelBytes(label);
    if (bytes === null) return this.tooLong(label, sig);
    if (this.memory === undefined) {
      const cell =
        this.current?.segment.appendNumeric(bytes, sig) ??
        this.nextFile(Segment.recordSize(bytes.byteLength, 1, 16))?.segment.appendNumeric(bytes, sig);
      if (cell) return cell;
    }
    return this.inMemory().field(label, sig);
  }

  staticString(label: string, value: string): void {
    const record = staticRecord(label, value);
    const previous = this.statics.get(label);
    if (previous !== undefined && sameBytes(previous.value, record.value)) return;
    this.statics.set(label, record);
    if (this.memory !== undefined) return;
    if (this.current?.segment.appendStatic(record.label, record.sig, record.value)) return;
    // A new file starts with every static string, this one included.
    this.nextFile(0);
  }

  /**
   * Counted failures and whether the file still gets every value. Also notices a file that was
   * removed or replaced since the last look (a deleted directory, a tmp cleaner), which nothing
   * else reports: counted once and logged once.
   */
  status(): StorageStatus {
    this.checkFiles();
    const live =
      !this.closed &&
      this.memory === undefined &&
      this.current !== undefined &&
      !this.writeFailing &&
      !this.watch.anyLost;
    return { errors: this.errorCount, live, memoryOnlyFields: this.labelTooLong };
  }

  /**
   * Notices files removed or replaced under us (counted, logged once), then writes them again
   * where it can, with every value of now: at each scrape and each interval, so readers get this
   * process back soon after a tmp cleaner or a redeploy took its files (or the whole directory).
   * Not once fields live in process memory only: a file then would silently lack them.
   */
  private checkFiles(): void {
    if (this.closed) return;
    const lost = this.watch.newlyLost();
    if (lost.length > 0) {
      this.errorCount += lost.length;
      this.warn(
        'lost',
        `the mmstats file ${lost.join(', ')} was removed or replaced while this process was writing it. ` +
          "This process's /metrics still serves every value, from memory; the file is written again, with every value, as soon as the directory takes it. " +
          'Fix: keep tmp cleaners and deploys away from that directory (storage.directory or MMSTATS_PATH).',
      );
    }
    if (this.watch.anyLost && this.memory === undefined) this.restoreLost();
  }

  private restoreLost(): void {
    try {
      this.restoreDirectory();
    } catch {
      // Not there yet, or not writable: the next look tries again.
      return;
    }
    for (const file of this.open.all) {
      if (!this.watch.isLost(file.path) || file.restore === undefined) continue;
      try {
        file.restore();
        this.watch.restored(file.path);
      } catch {
        // A full disk, say: it stays lost, counted already, and is tried again.
      }
    }
  }

  /** The directory back where a cleaner removed it: it held our files, so it is no typo. */
  private restoreDirectory(): void {
    const { directory } = this.options;
    if (this.options.privateDirectory) preparePrivateDirectory(directory);
    else {
      mkdirSync(directory, { recursive: true });
      checkChosenDirectory(directory);
    }
  }

  addPublisher(publish: () => void): void {
    this.publishers.push(publish);
    this.startTimer();
  }

  /** Copies values kept in process memory (histograms) into their fields. */
  publish(): void {
    for (const publish of this.publishers) publish();
  }

  sync(): void {
    if (this.closed) return;
    this.publish();
    for (const file of this.open.all) {
      try {
        file.sync();
      } catch (error) {
        this.errorCount++;
        this.writeFailing = true;
        throw new MetricsError(
          'STORAGE',
          `Cannot write ${file.path}: ${(error as Error).message}. Free space or fix the permissions of ${this.options.directory}; values are still correct in process memory.`,
        );
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.publish();
    this.open.close();
    this.untrack?.();
    this.memory ??= new MemoryStore();
  }

  /**
   * A field whose label cannot be stored (over 64 KiB, the format's limit) stays in memory: cut
   * short it would name another series in the file, or merge with one. This process's /metrics
   * still shows it; the file leaves it out, counted.
   */
  private tooLong(label: string, sig: NumericSig): Cell {
    this.labelTooLong++;
    this.warn(
      'label',
      `a series label of ${label.length} characters (${label.slice(0, 60)}…) is longer than an mmstats field label can be (64 KiB). ` +
        "The series is kept in process memory and shown by this process's /metrics, but left out of its file (counted in mmstats_storage_fields_memory_only). " +
        'Fix: keep label values short; long values such as raw URLs or payloads make unbounded series.',
    );
    this.oversized ??= new MemoryStore();
    return this.oversized.field(label, sig);
  }

  private inMemory(): MemoryStore {
    this.memory ??= new MemoryStore();
    return this.memory;
  }

  /** Starts the next file, big enough for `extra` more bytes; undefined (and memory from now on) on failure. */
  private nextFile(extra: number): ImageFile | undefined {
    try {
      if (this.current === undefined) this.prepareDirectory();
      this.identity ??= currentIdentity();
      const identity = this.identity;
      const path = claimPath(this.options.directory);
      const file = createImageFile(
        path,
        this.sizeFor(identity, extra),
        (segment) => this.fill(segment, identity),
        this.options.mode,
        this.options.backend === 'fallback',
      );
      this.current = file;
      this.open.add(file);
      this.watch.remember(path);
      this.untrack ??= closeAtExit(this, this.open);
      if (file.backend === 'fallback') this.startTimer();
      return file;
    } catch (error) {
      this.fail(error as Error);
      return undefined;
    }
  }

  private prepareDirectory(): void {
    const { directory } = this.options;
    if (this.options.privateDirectory) preparePrivateDirectory(directory);
    else checkChosenDirectory(directory);
    if (this.options.backend === 'mmap' && mmapBinding() === null) {
      this.warn(
        'binding',
        `storage backend "mmap" was asked for, but the native binding is not available (${mmapUnavailableReason()}). ` +
          'Using the "fallback" backend (values flushed to the file every interval). Rebuild with `npm rebuild @mmstats/core` (needs a C compiler), or ask for backend "auto".',
      );
    }
  }

  private sizeFor(identity: ProcessIdentity, extra: number): number {
    let need = 1 + defaultFieldsBytes(identity) + extra + 2;
    for (const s of this.statics.values()) {
      need += Segment.recordSize(s.label.byteLength, s.sig.length, s.value.byteLength);
    }
    return Math.max(this.options.segmentSize, Math.ceil(need / PAGE_SIZE) * PAGE_SIZE);
  }

  private fill(segment: Segment, identity: ProcessIdentity): void {
    appendDefaultFields(segment, identity);
    for (const s of this.statics.values()) segment.appendStatic(s.label, s.sig, s.value);
  }

  private fail(error: Error): void {
    this.memory ??= new MemoryStore();
    this.errorCount++;
    this.warn(
      'files',
      `cannot write mmstats files in "${this.options.directory}": ${error.message.replace(/\.$/, '')}. ` +
        "Metrics keep working, and this process's /metrics serves every value, but new series live in process memory only and no other process can read them. " +
        'Fix: make that directory exist and be writable by this user with free space, or set the storage.directory option or MMSTATS_PATH to one that is; storage: false or MMSTATS_STORAGE=memory turns files off without this warning.',
    );
  }

  private warn(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    process.emitWarning(`@mmstats/core: ${message}`, { code: STORAGE_WARNING });
  }

  /** One timer per store, unref'd: publishes histograms and flushes fallback files. */
  private startTimer(): void {
    if (this.timer !== undefined || this.closed) return;
    const ref = new WeakRef(this);
    const timer = setInterval(() => {
      const store = ref.deref();
      if (store === undefined) clearInterval(timer);
      else store.flush();
    }, this.options.interval);
    timer.unref();
    this.timer = timer;
  }

  /** What the timer does each interval: publish histograms, then write fallback files. */
  flush(): void {
    this.publish();
    this.checkFiles();
    try {
      this.open.flush();
      this.writeFailing = false;
    } catch (error) {
      this.errorCount++;
      this.writeFailing = true;
      this.warn(
        'write',
        `cannot update the mmstats files in "${this.options.directory}": ${(error as Error).message}. ` +
          'Values stay correct in process memory; readers see the last values written. Free space or fix the permissions of that directory.',
      );
    }
  }
}

function staticRecord(label: string, value: string): StaticRecord {
  const encoded = textEncoder.encode(value);
  return {
    label: fieldLabelBytes(label) ?? fieldLabelBytes(label.slice(0, 1000))!,
    sig: `${Math.max(1, encoded.byteLength)}s`,
    value: encoded.byteLength > 0 ? encoded : new Uint8Array(1),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
