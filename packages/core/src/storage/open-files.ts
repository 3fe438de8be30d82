import type { ImageFile } from '../mmstats/image-file.js';

/**
 * The files of one store, apart from the store itself: what must still happen to them when the
 * process exits or the store is garbage-collected (flush, close, remove unless kept). Holding no
 * reference to the store is what lets a dropped registry be collected.
 */
export class OpenFiles {
  private readonly list: ImageFile[] = [];
  private closed = false;

  constructor(private readonly removeOnClose: boolean) {}

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

  /** Flushes, closes and (unless kept) removes every file; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
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

/** One 'exit' listener for every store of the process (not one each: they can be many). */
function closeAllAtExit(): void {
  for (const entry of tracked) {
    try {
      entry.owner.deref()?.publish();
    } catch {}
    entry.files.close();
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
