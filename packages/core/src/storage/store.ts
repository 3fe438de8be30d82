import type { Cell } from '../file-format/cell.js';
import { encodeLabel, type NumericSig, Segment } from '../file-format/segment.js';
import type { StorageStatus } from './storage-health.js';

/** Where a registry keeps its values: plain memory, a shared file mapping, or memory flushed to a file. */
export type StorageBackend = 'memory' | 'mmap' | 'fallback';

/**
 * The storage every metric writes through. Metric classes only ever hold `Cell`s, so the
 * backend can change (memory, mmap, pwrite fallback) without touching them.
 */
export interface Store {
  readonly backend: StorageBackend;
  /** A double-buffered numeric field, initialised to 0. */
  field(label: string, sig: NumericSig): Cell;
  /** A static string field (`<N>s`), e.g. metadata under `mmstats.meta.` (docs/file-format.md#metadata). */
  staticString(label: string, value: string): void;
  /**
   * Registers a function that copies values kept in process memory (histograms) into their
   * fields; file stores call it every publish interval, on `sync()` and on close.
   */
  addPublisher(publish: () => void): void;
  /** Makes current values durable (msync for mmap, a write for the fallback); no-op in memory. */
  sync(): void;
  /** Stops timers, flushes, and (for files) removes the files of this process unless kept. */
  close(): void;
  /** Files written by this store, first one first; empty in memory. */
  readonly files: readonly string[];
  /**
   * File stores only: publishes histograms and writes fallback files now, without making them
   * durable (no msync or fsync, which can hold the loop); failures are counted, not thrown.
   */
  flush?(): void;
  /** File stores only: the directory of the files (whether or not they could be made). */
  readonly directory?: string;
  /** File stores only: counted failures and whether the file gets every value. */
  status?(): StorageStatus;
}

/** Field labels must never have a byte length that is a multiple of 256 (docs/file-format.md#label-length). */
export function fieldLabelBytes(label: string): Uint8Array | null {
  let bytes = encodeLabel(label);
  // Old readers test only the first length byte and would stop there: one trailing space moves
  // the length off the multiple; our reader trims it back off.
  if (bytes.byteLength % 256 === 0) bytes = encodeLabel(`${label} `);
  return bytes.byteLength > 0xffff ? null : bytes;
}

const MEMORY_SEGMENT = 64 * 1024;

/** Segments in process memory, laid out exactly like the file so both paths run the same code. */
export class MemoryStore implements Store {
  readonly backend: StorageBackend = 'memory';
  readonly files: readonly string[] = [];
  private segment = new Segment(new ArrayBuffer(MEMORY_SEGMENT));

  field(label: string, sig: NumericSig): Cell {
    const bytes = fieldLabelBytes(label) ?? encodeLabel(label.slice(0, 1000));
    let cell = this.segment.appendNumeric(bytes, sig);
    if (cell === null) {
      const size = Math.max(MEMORY_SEGMENT, Segment.recordSize(bytes.byteLength, 1, 16) + 3);
      this.segment = new Segment(new ArrayBuffer(size));
      cell = this.segment.appendNumeric(bytes, sig)!;
    }
    return cell;
  }

  staticString(): void {}
  addPublisher(): void {}
  sync(): void {}
  flush(): void {}
  close(): void {}
}
