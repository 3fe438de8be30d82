import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LITTLE_ENDIAN } from '../file-format/byte-order.js';
import { UNBUFFERED } from '../file-format/constants.js';
import { parseLayout, type RecordLayout } from '../file-format/records.js';
import { decodeValue } from '../file-format/values.js';
import { APP_LABEL } from '../storage/app-identity.js';
import {
  fileSource,
  type MmstatsField,
  type MmstatsReadResult,
  readMmstatsFile,
  readMmstatsSource,
} from './reader.js';

/** Files our writer made (they name their app): the only ones whose layout a CachedReader keeps. */
export function writtenByMmstats(fields: readonly MmstatsField[]): boolean {
  return fields.some((f) => f.label === APP_LABEL);
}

/** What a file looked like when last read in full: its records and its unbuffered values. */
interface Layout {
  ino: number;
  size: number;
  /** Offset of the end marker: a record appended since makes it non-zero. */
  end: number;
  records: RecordLayout[];
  /**
   * The fields last returned, updated in place at the next read: a scrape consumes a read before
   * the next one, and an object per value and scrape was most of what a scrape cost.
   */
  fields: MmstatsField[];
  /**
   * The bytes of each unbuffered value as read in full (empty for buffered ones): a new file can
   * get the old one's inode and size, so a static value is trusted only while its bytes hold.
   */
  statics: Uint8Array[];
  pid: number | undefined;
}

const EMPTY = new Uint8Array(0);

/** Larger files are read by the full reader each time (its own limit applies there). */
const MAX_REMEMBERED_BYTES = 64 * 1024 * 1024;

/** Files a scrape of one directory may meet; more and the oldest are forgotten. */
const MAX_ENTRIES = 4096;

/**
 * Re-reads files whose layout it has seen: a cluster scrape reads the same files again and again,
 * and only their buffered values change (a writer only ever appends records, and a new record
 * turns the end marker we remember into a label length). A file read before keeps its labels and
 * static values; its buffered values are read twice and taken when both reads agree, as the full
 * reader does. Anything else (a new record, another inode, a value that moved) goes to the full
 * reader, which also refreshes what is remembered. Static values are compared byte for byte, so a
 * new file that got an old one's inode (an archive replaced by the next) is never mistaken for
 * it. The field objects are reused from read to
 * read: use a result before reading the same file again. Only files of our own writer are remembered.
 */
export class CachedReader {
  private readonly layouts = new Map<string, Layout>();

  read(path: string, ours: (fields: readonly MmstatsField[]) => boolean): MmstatsReadResult {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    } catch {
      this.layouts.delete(path);
      return readMmstatsFile(path);
    }
    let first: Uint8Array;
    let second: Uint8Array;
    let layout: Layout | undefined;
    try {
      const stat = fstatSync(fd);
      layout = this.layouts.get(path);
      if (layout === undefined || layout.ino !== stat.ino || layout.size !== stat.size || !stat.isFile()) {
        return this.refresh(path, ours);
      }
      first = readAll(fd, stat.size, scratch(0, stat.size));
      second = readAll(fd, stat.size, scratch(1, stat.size));
    } finally {
      closeSync(fd);
    }
    const fields = valuesOf(layout, first, second);
    if (fields === null) return this.refresh(path, ours);
    const result: MmstatsReadResult = { ok: true, path, fields, warnings: [] };
    if (layout.pid !== undefined) result.pid = layout.pid;
    return result;
  }

  /** Forgets files not in `paths` (removed, folded). */
  keepOnly(paths: ReadonlySet<string>): void {
    for (const path of this.layouts.keys()) if (!paths.has(path)) this.layouts.delete(path);
  }

  /**
   * Reads a file in full and remembers its layout. The full read and the layout come from one
   * descriptor: between opening the path twice, a rename can put another file (the next
   * archive) there, and its layout with the other's values would be wrong from then on.
   */
  private refresh(path: string, ours: (fields: readonly MmstatsField[]) => boolean): MmstatsReadResult {
    this.layouts.delete(path);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    } catch {
      return readMmstatsFile(path);
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile() || stat.size > MAX_REMEMBERED_BYTES) return readMmstatsFile(path);
      const result = readMmstatsSource(path, fileSource(fd, stat.size));
      if (!result.ok || !ours(result.fields) || result.warnings.length > 0) return result;
      const bytes = readAll(fd, stat.size, new Uint8Array(stat.size));
      const parsed = parseLayout(bytes, LITTLE_ENDIAN);
      if (!parsed.ok || parsed.records.length !== result.fields.length) return result;
      const last = parsed.records[parsed.records.length - 1];
      const end = last === undefined ? 1 : last.wbOffset + 1 + (last.buffered ? 2 : 1) * last.size;
      if (this.layouts.size >= MAX_ENTRIES) this.layouts.delete(this.layouts.keys().next().value!);
      this.layouts.set(path, {
        ino: stat.ino,
        size: stat.size,
        end,
        records: parsed.records,
        fields: result.fields.map((f) => ({ ...f })),
        statics: parsed.records.map((r) =>
          r.buffered ? EMPTY : bytes.slice(r.wbOffset + 1, r.wbOffset + 1 + r.size),
        ),
        pid: result.pid,
      });
      return result;
    } catch {
      return readMmstatsFile(path);
    } finally {
      closeSync(fd);
    }
  }
}

/** The fields from two reads of a file of known layout; null when the layout or a value moved. */
function valuesOf(layout: Layout, first: Uint8Array, second: Uint8Array): MmstatsField[] | null {
  const { end, records, fields, statics } = layout;
  if (second.byteLength < end + 2 || second[0] !== 1 || second[end] !== 0 || second[end + 1] !== 0)
    return null;
  if (first.byteLength !== second.byteLength) return null;
  const dv = new DataView(second.buffer, second.byteOffset, second.byteLength);
  // Check every value first: a file that moved is read in full, and `fields` stays as it was.
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const wb = record.wbOffset;
    if (!record.buffered) {
      if (second[wb] !== UNBUFFERED) return null;
      const known = statics[i]!;
      for (let k = 0; k < known.byteLength; k++) if (second[wb + 1 + k] !== known[k]) return null;
      continue;
    }
    const index = second[wb]!;
    if (index > 1 || first[wb] !== index) return null;
    const at = wb + 1 + (index ^ 1) * record.size;
    for (let k = 0; k < record.size; k++) if (first[at + k] !== second[at + k]) return null;
  }
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (!record.buffered) continue;
    const at = record.wbOffset + 1 + (second[record.wbOffset]! ^ 1) * record.size;
    // Our counters, gauges and sums are `d`, buckets and counts `Q`: read those without a detour.
    fields[i]!.value =
      record.kind === 'd'
        ? dv.getFloat64(at, LITTLE_ENDIAN)
        : record.kind === 'Q'
          ? Number(dv.getBigUint64(at, LITTLE_ENDIAN))
          : decodeValue(second, dv, at, record.kind, record.size, LITTLE_ENDIAN).value;
  }
  return fields;
}

/**
 * Two read buffers reused from file to file: values are decoded out of them before the next file
 * is read, so a scrape of many files does not allocate two file-sized buffers for each.
 */
const buffers: Uint8Array[] = [new Uint8Array(0), new Uint8Array(0)];

function scratch(which: 0 | 1, size: number): Uint8Array {
  if (buffers[which]!.byteLength < size) buffers[which] = new Uint8Array(size);
  return buffers[which]!.subarray(0, size);
}

function readAll(fd: number, size: number, buffer: Uint8Array): Uint8Array {
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buffer, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return got === size ? buffer : buffer.subarray(0, got);
}
