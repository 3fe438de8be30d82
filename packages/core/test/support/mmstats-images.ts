/**
 * Builds mmstats images for reader tests without the file writer: the same `Segment` the writer
 * appends to, a `Store` over it that real Counter/Gauge/Histogram objects write through, and raw
 * byte builders for hand-made and hostile records (docs/file-format.md #records and #worked-example).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LITTLE_ENDIAN } from '../../src/file-format/byte-order.js';
import type { Cell } from '../../src/file-format/cell.js';
import { encodeLabel, type NumericSig, Segment } from '../../src/file-format/segment.js';
import type { RegistryLike } from '../../src/metrics/contracts.js';
import { Registry } from '../../src/metrics/registry.js';
import { fieldLabelBytes, type Store } from '../../src/storage/store.js';

export const PAGE = 4096;

/** docs/file-format.md#worked-example: the first 62 bytes the real 0.8.0 writer produced; zeros follow. */
export const WORKED_EXAMPLE = Buffer.from(
  '01' +
    '0a00' +
    '7374617475732e325858' +
    '0100' +
    '49' +
    '01' +
    '05000000' +
    '00000000' +
    '0f00' +
    '74696d6572732e6c6173745f686974' +
    '0100' +
    '64' +
    '00' +
    '00000000004a9340' +
    '0000000000519440',
  'hex',
);

function scalar(size: number, write: (dv: DataView) => void): Uint8Array {
  const bytes = new Uint8Array(size);
  write(new DataView(bytes.buffer));
  return bytes;
}

/** The value bytes of one signature in native order, as Python's struct.pack would write them. */
export type PackValue = number | bigint | boolean | string;

export function pack(sig: string, value: PackValue, littleEndian = LITTLE_ENDIAN): Uint8Array {
  const n = Number(value);
  switch (sig) {
    case 'Q':
      return scalar(8, (dv) => dv.setBigUint64(0, BigInt(value as number | bigint), littleEndian));
    case 'q':
      return scalar(8, (dv) => dv.setBigInt64(0, BigInt(value as number | bigint), littleEndian));
    case 'I':
      return scalar(4, (dv) => dv.setUint32(0, n, littleEndian));
    case 'i':
      return scalar(4, (dv) => dv.setInt32(0, n, littleEndian));
    case 'H':
      return scalar(2, (dv) => dv.setUint16(0, n, littleEndian));
    case 'h':
      return scalar(2, (dv) => dv.setInt16(0, n, littleEndian));
    case 'B':
    case '?':
      return Uint8Array.of(n);
    case 'b':
      return scalar(1, (dv) => dv.setInt8(0, n));
    case 'f':
      return scalar(4, (dv) => dv.setFloat32(0, n, littleEndian));
    case 'd':
      return scalar(8, (dv) => dv.setFloat64(0, n, littleEndian));
  }
  const size = Number(/^(\d+)s$/.exec(sig)?.[1] ?? Number.NaN);
  const out = new Uint8Array(size);
  out.set(encodeLabel(String(value)).subarray(0, size));
  return out;
}

/** One record of docs/file-format.md#records. `values` are the buffer(s) after the write-buffer byte. */
export function record(
  label: string | Uint8Array,
  sig: string,
  writeBuffer: number,
  values: Uint8Array,
  littleEndian = LITTLE_ENDIAN,
): Uint8Array {
  const labelBytes = typeof label === 'string' ? encodeLabel(label) : label;
  const sigBytes = encodeLabel(sig);
  const out = new Uint8Array(2 + labelBytes.length + 2 + sigBytes.length + 1 + values.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, labelBytes.length, littleEndian);
  out.set(labelBytes, 2);
  dv.setUint16(2 + labelBytes.length, sigBytes.length, littleEndian);
  out.set(sigBytes, 4 + labelBytes.length);
  out[4 + labelBytes.length + sigBytes.length] = writeBuffer;
  out.set(values, 5 + labelBytes.length + sigBytes.length);
  return out;
}

/** A buffered record whose published buffer holds `value` (write buffer 0: buffer 1 is read). */
export function buffered(
  label: string,
  sig: string,
  value: PackValue,
  littleEndian = LITTLE_ENDIAN,
): Uint8Array {
  const one = pack(sig, value, littleEndian);
  const both = new Uint8Array(one.length * 2);
  both.set(one, one.length);
  return record(label, sig, 0, both, littleEndian);
}

export function unbuffered(
  label: string,
  sig: string,
  value: PackValue,
  littleEndian = LITTLE_ENDIAN,
): Uint8Array {
  return record(label, sig, 0xff, pack(sig, value, littleEndian), littleEndian);
}

/** Version byte, the records, zero fill to `size` (`null`: no fill at all). */
export function image(records: readonly Uint8Array[], size: number | null = PAGE, version = 1): Uint8Array {
  const used = 1 + records.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(size === null ? used : Math.max(size, used));
  out[0] = version;
  let p = 1;
  for (const r of records) {
    out.set(r, p);
    p += r.length;
  }
  return out;
}

export interface ProcessFields {
  pid: number;
  tid?: number;
  created?: number;
}

/** The default fields of docs/file-format.md#default-fields as our writer lays them out (static, unbuffered). */
export function appendSysFields(segment: Segment, id: ProcessFields): void {
  const statics: [string, string, Uint8Array][] = [
    ['sys.pid', 'I', pack('I', id.pid)],
    ['sys.tid', 'q', pack('q', id.tid ?? id.pid)],
    ['sys.uid', 'Q', pack('Q', 1000)],
    ['sys.gid', 'Q', pack('Q', 1000)],
    ['sys.created', 'd', pack('d', id.created ?? 1_700_000_000.5)],
    ['org.nodejs.version', '256s', pack('256s', process.version)],
  ];
  for (const [label, sig, value] of statics) segment.appendStatic(encodeLabel(label), sig, value);
}

/** A `Store` over one Segment, laid out as the file store lays out its files. */
export class SegmentStore implements Store {
  readonly backend = 'memory' as const;
  readonly files: readonly string[] = [];
  readonly segment: Segment;
  private readonly publishers: (() => void)[] = [];

  constructor(size = 16 * PAGE) {
    this.segment = new Segment(new ArrayBuffer(size));
  }

  field(label: string, sig: NumericSig): Cell {
    const cell = this.segment.appendNumeric(fieldLabelBytes(label)!, sig);
    if (cell === null) throw new Error(`test segment full at ${label}`);
    return cell;
  }

  staticString(label: string, value: string): void {
    const bytes = encodeLabel(value);
    this.segment.appendStatic(fieldLabelBytes(label)!, `${Math.max(1, bytes.length)}s`, bytes);
  }

  addPublisher(publish: () => void): void {
    this.publishers.push(publish);
  }

  sync(): void {
    for (const publish of this.publishers) publish();
  }

  flush(): void {
    this.sync();
  }

  close(): void {}

  /** The image as a file would hold it now, histograms published. */
  bytes(): Uint8Array {
    this.sync();
    return this.segment.u8.slice();
  }
}

/**
 * A process's metrics: pass `registers` to metric constructors; values go to the segment (the
 * first registry's store), and `registry` renders them the way a single process would.
 */
export function processImage(id: ProcessFields): {
  store: SegmentStore;
  registry: Registry;
  registers: RegistryLike[];
} {
  const store = new SegmentStore();
  appendSysFields(store.segment, id);
  const registry = new Registry({ storage: false });
  const target: RegistryLike = { store, registerMetric() {}, assertCanRegister() {} };
  return { store, registry, registers: [target, registry] };
}

export function writeImage(dir: string, name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}
