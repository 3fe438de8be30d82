import { endedOrderly, exitArchiver, whenProcessEnds } from './exit.js';
import type { ImageFile } from './image-file.js';

/**
 * The files of one store, apart from the store itself: what must still happen to them when the
 * process exits or the store is garbage-collected (flush, close, remove unless kept). Holding no
 * reference to the store is what lets a dropped registry be collected.
 */
export class OpenFiles {
  private readonly list: ImageFile[] = [];
  private closed = false;

  constructor(private removeOnClose: boolean) {}

  /** Kept files go to the app's archive at exit (cluster and PM2 workers); removed ones do not. */
  get archived(): boolean {
    return !this.removeOnClose;
  }

  add(file: ImageFile): void {
    this.list.push(file);
  }

  get all(): readonly ImageFile[] {
    return this.list;
  }

  /** Paths that still exist because of us. */
  paths(): string[] {
    return this.closed && this.removeOnClose ? [] : this.list.map((file) => file.path);
  }

  /** Flushes every file; the first error is rethrown after all were tried. */
  flush(): void {
    let failure: unknown;
    for (const file of this.list) {
      try {
        file.flush();
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined) throw failure;
  }

  /**
   * Flushes, closes and (unless kept) removes every file; later calls do nothing. `keep` leaves
   * them in place whatever removeOnClose says (a process that failed: its values are evidence).
   */
  close(keep = false): void {
    if (this.closed) return;
    this.closed = true;
    if (keep) this.removeOnClose = false;
    for (const file of this.list) {
      try {
        file.close(this.removeOnClose);
      } catch {
        // Exit and garbage collection have nobody to report to; the file stays as last flushed.
      }
    }
  }
}

interface Tracked {
  files: OpenFiles;
  owner: WeakRef<{ publish(): void }>;
}

const tracked = new Set<Tracked>();
const collected = new FinalizationRegistry<Tracked>((entry) => {
  tracked.delete(entry);
  entry.files.close();
});
let exitHooked = false;

/**
 * One exit hook for every store of the process (not one each: they can be many). On an orderly
 * end (exit code 0, or SIGINT, SIGTERM, SIGHUP) files get their last values and are removed, or,
 * in cluster and PM2 workers, handed to the app's archive so totals survive the process. After an
 * uncaught exception or `process.exit(1)` a single process' files stay, readable like those of a
 * process that was killed, until `mmstats clean` removes them; a worker's are archived all the same.
 */
function closeAllAtExit(code: number | null, signal: NodeJS.Signals | null): void {
  const failed = !endedOrderly(code, signal);
  const archive: string[] = [];
  for (const entry of tracked) {
    try {
      entry.owner.deref()?.publish();
    } catch {}
    const archived = entry.files.archived;
    if (archived) archive.push(...entry.files.paths());
    entry.files.close(failed || archived);
  }
  tracked.clear();
  if (archive.length === 0) return;
  try {
    exitArchiver()?.(archive);
  } catch {
    // Nobody to report to at exit: the files stay, and the next scrape archives them.
  }
}

/**
 * Closes `files` at process exit, after `owner.publish()` ran, or once `owner` is collected.
 * Returns the function that stops tracking (after an explicit close).
 */
export function closeAtExit(owner: { publish(): void }, files: OpenFiles): () => void {
  const entry: Tracked = { files, owner: new WeakRef(owner) };
  tracked.add(entry);
  collected.register(owner, entry, entry);
  if (!exitHooked) {
    exitHooked = true;
    whenProcessEnds(closeAllAtExit);
  }
  return () => {
    tracked.delete(entry);
    collected.unregister(entry);
  };
}
