import { HI, LITTLE_ENDIAN as LE, LO } from '../file-format/byte-order.js';

/**
 * How one struct code of docs/file-format.md#value-types holds a JavaScript number. Stores convert
 * the way a C (ctypes) field does, so values behave as they did in Python: integers wrap modulo
 * 2^bits (-100 in a `I` reads back 2^32 - 100), fractions are cut toward zero, NaN and the
 * infinities store 0; `f` rounds to float32. DataView's integer setters already do exactly that.
 */
export interface NumberCodec {
  readonly sig: string;
  /** Bytes per value. */
  readonly size: number;
  read(dv: DataView, at: number): number;
  write(dv: DataView, at: number, value: number): void;
}

const TWO_32 = 4294967296;
const TWO_64 = TWO_32 * TWO_32;

function toBigInt(value: number): bigint {
  return Number.isFinite(value) ? BigInt(Math.trunc(value)) : 0n;
}

/** `Q`: two 32-bit halves on the common path (exact for any double in [0, 2^64)); BigInt otherwise. */
const uint64: NumberCodec = {
  sig: 'Q',
  size: 8,
  read: (dv, at) => dv.getUint32(at + LO, LE) + dv.getUint32(at + HI, LE) * TWO_32,
  write(dv, at, value) {
    if (value >= 0 && value < TWO_64) {
      dv.setUint32(at + LO, value >>> 0, LE);
      dv.setUint32(at + HI, (value / TWO_32) >>> 0, LE);
    } else {
      dv.setBigUint64(at, BigInt.asUintN(64, toBigInt(value)), LE);
    }
  },
};

const int64: NumberCodec = {
  sig: 'q',
  size: 8,
  read: (dv, at) => Number(dv.getBigInt64(at, LE)),
  write: (dv, at, value) => dv.setBigInt64(at, BigInt.asIntN(64, toBigInt(value)), LE),
};

export const CODECS = {
  Q: uint64,
  q: int64,
  I: {
    sig: 'I',
    size: 4,
    read: (dv, at) => dv.getUint32(at, LE),
    write: (dv, at, value) => dv.setUint32(at, value, LE),
  },
  i: {
    sig: 'i',
    size: 4,
    read: (dv, at) => dv.getInt32(at, LE),
    write: (dv, at, value) => dv.setInt32(at, value, LE),
  },
  H: {
    sig: 'H',
    size: 2,
    read: (dv, at) => dv.getUint16(at, LE),
    write: (dv, at, value) => dv.setUint16(at, value, LE),
  },
  h: {
    sig: 'h',
    size: 2,
    read: (dv, at) => dv.getInt16(at, LE),
    write: (dv, at, value) => dv.setInt16(at, value, LE),
  },
  b: {
    sig: 'b',
    size: 1,
    read: (dv, at) => dv.getInt8(at),
    write: (dv, at, value) => dv.setInt8(at, value),
  },
  f: {
    sig: 'f',
    size: 4,
    read: (dv, at) => dv.getFloat32(at, LE),
    write: (dv, at, value) => dv.setFloat32(at, value, LE),
  },
  d: {
    sig: 'd',
    size: 8,
    read: (dv, at) => dv.getFloat64(at, LE),
    write: (dv, at, value) => dv.setFloat64(at, value, LE),
  },
} as const satisfies Record<string, NumberCodec>;

/** The bytes of one value, e.g. a start value for Segment.appendField. */
export function encodeNumber(codec: NumberCodec, value: number): Uint8Array {
  const bytes = new Uint8Array(codec.size);
  codec.write(new DataView(bytes.buffer), 0, value);
  return bytes;
}
