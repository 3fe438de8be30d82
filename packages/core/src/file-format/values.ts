import type { ValueKind } from './records.js';

export type FieldValue = number | string | boolean;

const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

export interface Decoded {
  value: FieldValue;
  /** A string value that was not valid UTF-8 and was decoded with U+FFFD in its place. */
  replaced?: true;
}

/**
 * Decodes one value of `size` bytes at `at` (docs/file-format.md#value-types). 64-bit integers become the nearest
 * double: exact up to 2^53, which covers every count a process can reach.
 */
export function decodeValue(
  bytes: Uint8Array,
  dv: DataView,
  at: number,
  kind: ValueKind,
  size: number,
  littleEndian: boolean,
): Decoded {
  switch (kind) {
    case 'Q':
      return { value: Number(dv.getBigUint64(at, littleEndian)) };
    case 'q':
      return { value: Number(dv.getBigInt64(at, littleEndian)) };
    case 'I':
      return { value: dv.getUint32(at, littleEndian) };
    case 'i':
      return { value: dv.getInt32(at, littleEndian) };
    case 'H':
      return { value: dv.getUint16(at, littleEndian) };
    case 'h':
      return { value: dv.getInt16(at, littleEndian) };
    case 'B':
      return { value: dv.getUint8(at) };
    case 'b':
      return { value: dv.getInt8(at) };
    case '?':
      return { value: dv.getUint8(at) !== 0 };
    case 'f':
      return { value: dv.getFloat32(at, littleEndian) };
    case 'd':
      return { value: dv.getFloat64(at, littleEndian) };
    case 's':
      return decodeString(bytes.subarray(at, at + size));
  }
}

/**
 * Strings are NUL padded and carry no NUL when full (docs/file-format.md#value-types). A writer may cut a value in
 * the middle of a UTF-8 sequence (docs/file-format.md#strings): that spoils one value, not the file.
 */
function decodeString(raw: Uint8Array): Decoded {
  const nul = raw.indexOf(0);
  const text = nul < 0 ? raw : raw.subarray(0, nul);
  try {
    return { value: strict.decode(text) };
  } catch {
    return { value: lenient.decode(text), replaced: true };
  }
}
