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
 * One 'exit' listener for every store of the process (not one each: they can be many). Files are
 * removed only on a clean exit: after an uncaught exception or `process.exit(1)` they stay,
 * readable like those of a process that was killed, until `mmstats clean` removes them.
 */
function closeAllAtExit(code: number): void {
  // Node passes process.exitCode here when exit() got no code of its own.
  const failed = code !== 0;
  for (const entry of tracked) {
    try {
      entry.owner.deref()?.publish();
    } catch {}
    entry.files.close(failed);
  }
  tracked.clear();
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
    process.on('exit', closeAllAtExit);
  }
  return () => {
    tracked.delete(entry);
    collected.unregister(entry);
  };
}
