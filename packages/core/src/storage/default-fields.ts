import { userInfo } from 'node:os';
import { LITTLE_ENDIAN as LE } from '../file-format/byte-order.js';
import { encodeLabel, Segment } from '../file-format/segment.js';
import { threadIdentifier } from './file-names.js';

/** What the default fields say about the writing process. */
export interface ProcessIdentity {
  pid: number;
  tid: number;
  uid: number;
  gid: number;
  /** UNIX time in seconds. */
  created: number;
  version: string;
}

/** Python's `org.python.version` becomes ours: the runtime version as a 256-byte string. */
const VERSION_BYTES = 256;

function ownIds(): { uid: number; gid: number } {
  if (typeof process.getuid === 'function' && typeof process.getgid === 'function') {
    return { uid: process.getuid(), gid: process.getgid() };
  }
  // Windows: userInfo() reports -1; an unsigned field cannot hold that, 0 says "unknown".
  const info = userInfo();
  return { uid: Math.max(0, info.uid), gid: Math.max(0, info.gid) };
}

export function currentIdentity(): ProcessIdentity {
  return {
    pid: process.pid,
    tid: threadIdentifier(),
    ...ownIds(),
    created: Date.now() / 1000,
    version: process.version,
  };
}

interface StaticField {
  label: string;
  sig: string;
  value: Uint8Array;
}

function scalar(size: number, write: (dv: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return bytes;
}

/** One default field: its label, its struct code, and what it says about the process. */
export interface DefaultField {
  readonly label: string;
  readonly sig: 'I' | 'q' | 'Q' | 'd' | `${number}s`;
  readonly value: (id: ProcessIdentity) => number | string;
}

/**
 * The fields of docs/file-format.md#default-fields, in the sigs docs/file-format.md#value-types asks for: the one table
 * both registry files and typed-fields stats objects start with.
 */
export const DEFAULT_FIELDS: readonly DefaultField[] = [
  { label: 'sys.pid', sig: 'I', value: (id) => id.pid },
  { label: 'sys.tid', sig: 'q', value: (id) => id.tid },
  { label: 'sys.uid', sig: 'Q', value: (id) => id.uid },
  { label: 'sys.gid', sig: 'Q', value: (id) => id.gid },
  { label: 'sys.created', sig: 'd', value: (id) => id.created },
  { label: 'org.nodejs.version', sig: `${VERSION_BYTES}s`, value: (id) => id.version },
];

function encode(field: DefaultField, id: ProcessIdentity): Uint8Array {
  const value = field.value(id);
  if (typeof value === 'string') {
    const text = new Uint8Array(VERSION_BYTES);
    text.set(encodeLabel(value).subarray(0, VERSION_BYTES));
    return text;
  }
  switch (field.sig) {
    case 'I':
      return scalar(4, (dv) => dv.setUint32(0, value, LE));
    case 'q':
      return scalar(8, (dv) => dv.setBigInt64(0, BigInt(value), LE));
    case 'Q':
      return scalar(8, (dv) => dv.setBigUint64(0, BigInt(value), LE));
    default:
      return scalar(8, (dv) => dv.setFloat64(0, value, LE));
  }
}

function defaultFields(id: ProcessIdentity): StaticField[] {
  return DEFAULT_FIELDS.map((field) => ({ label: field.label, sig: field.sig, value: encode(field, id) }));
}

/**
 * Appends the default fields (static, unbuffered) that every file of ours starts with, so
 * `cleanstats`-style tools find the owning process (docs/file-format.md#metadata). False when they do not fit.
 */
export function appendDefaultFields(segment: Segment, id: ProcessIdentity): boolean {
  for (const field of defaultFields(id)) {
    if (!segment.appendStatic(encodeLabel(field.label), field.sig, field.value)) return false;
  }
  return true;
}

/** Bytes the default fields take, to size a file before creating it. */
export function defaultFieldsBytes(id: ProcessIdentity): number {
  let total = 0;
  for (const field of defaultFields(id)) {
    total += Segment.recordSize(
      encodeLabel(field.label).byteLength,
      field.sig.length,
      field.value.byteLength,
    );
  }
  return total;
}
