import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Segment } from '../storage/segment.js';
import { mmapBinding } from './mmap.js';

/** An mmstats file this process writes: a segment over a shared mapping, or over memory it flushes. */
export interface ImageFile {
  readonly path: string;
  readonly segment: Segment;
  readonly backend: 'mmap' | 'fallback';
  /** Fallback: writes the image to the file (one positional write). mmap: nothing to do. */
  flush(): void;
  /** Durable now: msync, or flush + fsync. */
  sync(): void;
  /** Flushes, closes, and removes the file when `remove` is set. */
  close(remove: boolean): void;
}

let tmpCounter = 0;

/**
 * Creates a complete mmstats file at `path` (mmstats-format.md sections 11.8 and 14.5): the image
 * is filled in memory, written whole to a temporary name that no reader glob matches (a leading
 * dot, no `.mmstats` ending), then renamed into place, so readers never see it half-made. Writing
 * every byte (not ftruncate) allocates the blocks now: a full disk fails here, with ENOSPC, rather
 * than as SIGBUS on a later store into the mapping. `rename` replaces a symlink at `path` rather
 * than following it, and the mapping is made from our descriptor, never from the path.
 */
export function createImageFile(
  path: string,
  size: number,
  fill: (segment: Segment) => void,
  mode = 0o600,
  forceFallback = false,
): ImageFile {
  const image = new Segment(new ArrayBuffer(size));
  fill(image);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    let written = 0;
    while (written < size) written += writeSync(fd, image.u8, written, size - written, written);
    renameSync(tmp, path);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw error;
  }
  const binding = forceFallback ? null : mmapBinding();
  if (binding !== null) {
    let buffer: ArrayBuffer | undefined;
    try {
      buffer = binding.map(fd, size);
    } catch {
      buffer = undefined;
    }
    if (buffer !== undefined) {
      closeSync(fd);
      const mapped = buffer;
      return {
        path,
        segment: new Segment(mapped, image.used),
        backend: 'mmap',
        flush() {},
        sync() {
          binding.sync(mapped);
        },
        close(remove) {
          if (remove) removeQuietly(path);
        },
      };
    }
  }
  let open = true;
  const flush = () => {
    if (!open) return;
    // used + 2: the record area and the end marker; zeros beyond are already on disk.
    const length = Math.min(image.used + 2, size);
    writeSync(fd, image.u8, 0, length, 0);
  };
  return {
    path,
    segment: image,
    backend: 'fallback',
    flush,
    sync() {
      flush();
      if (open) fsyncSync(fd);
    },
    close(remove) {
      if (!open) return;
      try {
        flush();
      } finally {
        open = false;
        closeSync(fd);
        if (remove) removeQuietly(path);
      }
    },
  };
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
