import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Segment } from '../file-format/segment.js';
import { ImageMirror } from './image-mirror.js';
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
  /**
   * Writes the file again at its path, whole, with the values of now, after it was removed or
   * replaced (a tmp cleaner, a deleted directory); later writes go to the new file. Absent where
   * that cannot be done (an mmap binding built before it could).
   */
  restore?(): void;
  /**
   * Only on a fallback file made with `writeThrough`: writes `segment.u8[start, end)` to the
   * file at the same offset now (nothing once closed).
   */
  writeRange?(start: number, end: number): void;
}

/** How a fallback file publishes (mmap files are the mapping and ignore this). */
export interface ImageFileOptions {
  /**
   * No mirror and no flush: the caller writes each change through with `writeRange`, in the order
   * a reader must see it (the value, then its write-buffer byte), so the file always holds exactly
   * the bytes a mapping would. One positional write per call instead of one per interval.
   */
  writeThrough?: boolean;
}

let tmpCounter = 0;

/**
 * Creates a complete mmstats file at `path` (docs/file-format.md#creating-a-file): the image
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
  options: ImageFileOptions = {},
): ImageFile {
  const image = new Segment(new ArrayBuffer(size));
  fill(image);
  let fd = writeWholeFile(path, image.u8, mode);
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
      const remap = binding.remap;
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
        // The new file gets the mapping's bytes, then takes its place under the same pages: no
        // write can fall in between, this thread being the only writer and this call synchronous.
        restore:
          remap === undefined
            ? undefined
            : () => {
                const next = writeWholeFile(path, new Uint8Array(mapped), mode);
                try {
                  remap(mapped, next);
                } finally {
                  closeSync(next);
                }
              },
      };
    }
  }
  if (options.writeThrough) return writeThroughFile(path, image, fd, mode);
  let open = true;
  const mirror = new ImageMirror(image, (bytes, start, end) => writeAll(fd, bytes, start, end));
  const flush = () => {
    if (open) mirror.flush();
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
    restore() {
      if (!open) return;
      // The whole image, flushed or not: the mirror's later writes only repeat bytes it has.
      const next = writeWholeFile(path, image.u8, mode);
      closeSync(fd);
      fd = next;
    },
  };
}

/**
 * Writes `bytes` as a complete file at `path` through a temporary name that no reader glob
 * matches (a leading dot, no `.mmstats` ending), renamed into place; returns its descriptor,
 * open for reading and writing (a mapping needs both).
 */
function writeWholeFile(path: string, bytes: Uint8Array, mode: number): number {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpCounter}.tmp`);
  // O_NOFOLLOW|O_EXCL: never open something planted at `tmp`.
  const fd = openSync(
    tmp,
    constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | constants.O_NOFOLLOW,
    mode,
  );
  try {
    // The umask would narrow `mode`; the caller asked for exactly this (0600 unless widened).
    fchmodSync(fd, mode);
    writeAll(fd, bytes, 0, bytes.byteLength);
    renameSync(tmp, path);
    return fd;
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {}
    throw error;
  }
}

/** A fallback file whose owner writes every change through itself (`ImageFileOptions.writeThrough`). */
function writeThroughFile(path: string, image: Segment, first: number, mode: number): ImageFile {
  let fd = first;
  let open = true;
  return {
    path,
    segment: image,
    backend: 'fallback',
    flush() {},
    sync() {
      if (open) fsyncSync(fd);
    },
    close(remove) {
      if (!open) return;
      open = false;
      closeSync(fd);
      if (remove) removeQuietly(path);
    },
    writeRange(start, end) {
      if (open) writeAll(fd, image.u8, start, end);
    },
    restore() {
      if (!open) return;
      const next = writeWholeFile(path, image.u8, mode);
      closeSync(fd);
      fd = next;
    },
  };
}

/** Positional write of `bytes[start, end)` at offset `start`; regular files may take it in parts. */
function writeAll(fd: number, bytes: Uint8Array, start: number, end: number): void {
  let at = start;
  while (at < end) at += writeSync(fd, bytes, at, end - at, at);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {}
}
