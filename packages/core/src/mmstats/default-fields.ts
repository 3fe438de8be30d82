import { userInfo } from 'node:os';
import { LITTLE_ENDIAN as LE } from '../storage/byte-order.js';
import { encodeLabel, Segment } from '../storage/segment.js';
import { threadIdentifier } from './naming.js';

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

/** The fields of mmstats-format.md section 3.6, in the sigs section 11.3 asks for. */
function defaultFields(id: ProcessIdentity): StaticField[] {
  const version = new Uint8Array(VERSION_BYTES);
  version.set(encodeLabel(id.version).subarray(0, VERSION_BYTES));
  return [
    { label: 'sys.pid', sig: 'I', value: scalar(4, (dv) => dv.setUint32(0, id.pid, LE)) },
    { label: 'sys.tid', sig: 'q', value: scalar(8, (dv) => dv.setBigInt64(0, BigInt(id.tid), LE)) },
    { label: 'sys.uid', sig: 'Q', value: scalar(8, (dv) => dv.setBigUint64(0, BigInt(id.uid), LE)) },
    { label: 'sys.gid', sig: 'Q', value: scalar(8, (dv) => dv.setBigUint64(0, BigInt(id.gid), LE)) },
    { label: 'sys.created', sig: 'd', value: scalar(8, (dv) => dv.setFloat64(0, id.created, LE)) },
    { label: 'org.nodejs.version', sig: `${VERSION_BYTES}s`, value: version },
  ];
}

/**
 * Appends the default fields (static, unbuffered) that every file of ours starts with, so
 * `cleanstats`-style tools find the owning process (section 14.3). False when they do not fit.
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
