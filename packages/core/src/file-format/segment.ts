import { LITTLE_ENDIAN as LE } from './byte-order.js';
import { Cell } from './cell.js';
import { END_MARKER, UNBUFFERED } from './constants.js';

/** Numeric signatures we write; everything that changes is one of these, double-buffered. */
export type NumericSig = 'd' | 'Q';

const encoder = new TextEncoder();

/**
 * One mmstats version-1 image (docs/file-format.md#records): a version byte, then records back
 * to back. The bytes may be plain memory or a shared file mapping; records are only ever
 * appended, in the order docs/file-format.md#appending-fields asks for, so a concurrent reader sees either the old end
 * marker or a complete record.
 */
export class Segment {
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** Bytes in use, version byte included. */
  used = 1;

  /** `used` > 1 adopts an image already written (e.g. a fresh mapping of a file we built). */
  constructor(buffer: ArrayBuffer, used = 1) {
    this.u8 = new Uint8Array(buffer);
    this.dv = new DataView(buffer);
    this.used = used;
    if (this.u8[0] !== 1) this.u8[0] = 1;
  }

  get capacity(): number {
    return this.u8.byteLength;
  }

  /** Appends a buffered numeric field; null when the segment is full. */
  appendNumeric(label: Uint8Array, sig: NumericSig): Cell | null {
    const wbOffset = this.append(label, sig, 0, 16);
    return wbOffset < 0 ? null : new Cell(this.u8, this.dv, wbOffset);
  }

  /** Appends an unbuffered static field holding `value` (strings use `<N>s`). */
  appendStatic(label: Uint8Array, sig: string, value: Uint8Array): boolean {
    const wbOffset = this.append(label, sig, UNBUFFERED, value.byteLength, value);
    return wbOffset >= 0;
  }

  /**
   * Appends any field (docs/file-format.md#records): `valueSize` bytes per value, two buffers when `buffered`,
   * each holding `initial` (zeros when absent). Returns the offset of the write-buffer byte, or
   * -1 when the segment is full.
   */
  appendField(
    label: Uint8Array,
    sig: string,
    valueSize: number,
    buffered: boolean,
    initial?: Uint8Array,
  ): number {
    const copies = buffered ? 2 : 1;
    let value: Uint8Array | undefined;
    if (initial !== undefined) {
      value = new Uint8Array(copies * valueSize);
      const one = initial.subarray(0, valueSize);
      for (let i = 0; i < copies; i++) value.set(one, i * valueSize);
    }
    return this.append(label, sig, buffered ? 0 : UNBUFFERED, copies * valueSize, value);
  }

  /** Record bytes for a label and value size, to check before appending. */
  static recordSize(labelBytes: number, sigBytes: number, valueBytes: number): number {
    return 2 + labelBytes + 2 + sigBytes + 1 + valueBytes;
  }

  private append(
    label: Uint8Array,
    sig: string,
    writeBuffer: number,
    valueBytes: number,
    value?: Uint8Array,
  ): number {
    const sigBytes = encoder.encode(sig);
    const size = Segment.recordSize(label.byteLength, sigBytes.byteLength, valueBytes);
    const start = this.used;
    if (start + size + END_MARKER > this.capacity) return -1;
    const u8 = this.u8;
    // Everything but label_len first; label_len last, its low byte last of all (docs/file-format.md#appending-fields).
    u8.set(label, start + 2);
    let p = start + 2 + label.byteLength;
    this.dv.setUint16(p, sigBytes.byteLength, LE);
    u8.set(sigBytes, p + 2);
    p += 2 + sigBytes.byteLength;
    u8[p] = writeBuffer;
    u8.fill(0, p + 1, p + 1 + valueBytes);
    if (value) u8.set(value, p + 1);
    const len = label.byteLength;
    const lowAt = LE ? start : start + 1;
    const highAt = LE ? start + 1 : start;
    u8[highAt] = len >>> 8;
    u8[lowAt] = len & 0xff;
    this.used = start + size;
    return p;
  }
}

export function encodeLabel(label: string): Uint8Array {
  return encoder.encode(label);
}
