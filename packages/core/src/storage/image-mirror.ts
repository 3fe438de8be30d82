import { LITTLE_ENDIAN as LE } from '../file-format/byte-order.js';
import { UNBUFFERED } from '../file-format/constants.js';
import type { Segment } from '../file-format/segment.js';

/** Bytes per value of a struct code we can meet in our own images (docs/file-format.md#value-types). */
function valueSize(sig: string): number {
  if (sig.endsWith('s')) return Number(sig.slice(0, -1)) || 1;
  switch (sig) {
    case 'Q':
    case 'q':
    case 'd':
      return 8;
    case 'I':
    case 'i':
    case 'f':
      return 4;
    case 'H':
    case 'h':
      return 2;
    default:
      return 1;
  }
}

/** Writes `bytes[start, end)` at the same offset of the file. */
export type RangeWriter = (bytes: Uint8Array, start: number, end: number) => void;

/**
 * Keeps a file in step with an image in process memory (the fallback backend, no mapping), and
 * publishes to the file by the same rules a mapping would follow: a reader copying the file
 * while we write must never see a half-written value or record. A single write of the image
 * cannot promise that, as the kernel copies a write's bytes in address order and each
 * write-buffer byte sits before its buffers. So every flush is two positional writes:
 *
 * 1. new values into the buffers readers are told not to read, and new records whole except
 *    their `label_len`, which stays 0 (so the old end marker still ends the listing);
 * 2. the same bytes with the write-buffer bytes flipped and the label lengths set.
 *
 * `shadow` is what the file holds, so a field whose value did not change is not flipped.
 */
export class ImageMirror {
  private readonly shadow: Uint8Array;
  /** Write-buffer offsets and value sizes of the buffered fields the file shows. */
  private readonly fields: number[] = [];
  private readonly sizes: number[] = [];
  /** End of the records the file shows. */
  private shown: number;

  /** The file holds a copy of `image` as it is now. */
  constructor(
    private readonly image: Segment,
    private readonly write: RangeWriter,
  ) {
    this.shadow = image.u8.slice();
    this.shown = 1;
    this.track(this.readRecords(1, image.used));
    this.shown = image.used;
  }

  /** Writes what changed since the last flush; nothing when nothing did. */
  flush(): void {
    const end = this.image.used;
    const flips = this.stageValues();
    const added = this.stageRecords(end);
    if (flips.length === 0 && added.length === 0) return;
    const from = Math.min(flips[0] ?? end, added[0] ?? end);
    this.write(this.shadow, from, end + 2);
    const shadow = this.shadow;
    for (const wb of flips) shadow[wb] = shadow[wb]! ^ 1;
    for (const start of added) shadow.set(this.image.u8.subarray(start, start + 2), start);
    this.write(this.shadow, from, end + 2);
    this.track(added);
    this.shown = end;
  }

  /** Copies changed values into the hidden buffers of `shadow`; returns the fields to flip. */
  private stageValues(): number[] {
    const image = this.image.u8;
    const shadow = this.shadow;
    const flips: number[] = [];
    for (let i = 0; i < this.fields.length; i++) {
      const wb = this.fields[i]!;
      const size = this.sizes[i]!;
      const fresh = wb + 1 + (image[wb]! ^ 1) * size;
      const visible = wb + 1 + (shadow[wb]! ^ 1) * size;
      if (sameBytes(image, fresh, shadow, visible, size)) continue;
      shadow.set(image.subarray(fresh, fresh + size), wb + 1 + shadow[wb]! * size);
      flips.push(wb);
    }
    return flips;
  }

  /** Copies records appended since the last flush, with `label_len` 0; returns their starts. */
  private stageRecords(end: number): number[] {
    if (end <= this.shown) return [];
    this.shadow.set(this.image.u8.subarray(this.shown, end + 2), this.shown);
    const starts = this.readRecords(this.shown, end);
    for (const start of starts) this.shadow.fill(0, start, start + 2);
    return starts;
  }

  private track(starts: number[]): void {
    for (const start of starts) {
      const record = this.record(start);
      if (!record.buffered) continue;
      this.fields.push(record.wb);
      this.sizes.push(record.size);
    }
  }

  /** Starts of the records in `[from, end)`. */
  private readRecords(from: number, end: number): number[] {
    const starts: number[] = [];
    for (let p = from; p < end; p = this.record(p).next) starts.push(p);
    return starts;
  }

  /** The record at `start` of our own image (docs/file-format.md#records). */
  private record(start: number): { wb: number; size: number; buffered: boolean; next: number } {
    const { dv, u8 } = this.image;
    const sigAt = start + 2 + dv.getUint16(start, LE);
    const sigLen = dv.getUint16(sigAt, LE);
    const size = valueSize(String.fromCharCode(...u8.subarray(sigAt + 2, sigAt + 2 + sigLen)));
    const wb = sigAt + 2 + sigLen;
    const buffered = u8[wb] !== UNBUFFERED;
    return { wb, size, buffered, next: wb + 1 + size * (buffered ? 2 : 1) };
  }
}

function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}
