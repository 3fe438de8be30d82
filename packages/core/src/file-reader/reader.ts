import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { MetricsError } from '../errors.js';
import { LITTLE_ENDIAN } from '../file-format/byte-order.js';
import { UNBUFFERED } from '../file-format/constants.js';
import { parseLayout, type RecordLayout } from '../file-format/records.js';
import { decodeValue, type FieldValue } from '../file-format/values.js';

/** One field of an mmstats file, as a reader sees it. */
export interface MmstatsField {
  label: string;
  /** The struct code from the file: `Q`, `d`, `256s`, … */
  sig: string;
  value: FieldValue;
  /** Double-buffered (write-buffer byte 0 or 1) rather than written in place (255). */
  buffered: boolean;
  /** The value kept changing under the reader and may be torn (docs/file-format.md#torn-reads). */
  unstable?: true;
}

export interface MmstatsFile {
  ok: true;
  path: string;
  fields: MmstatsField[];
  /** The writer's process id, from the field whose label ends in `sys.pid` (as cleanstats finds it). */
  pid?: number;
  /** Oddities that did not stop the file from being read (e.g. a string that is not UTF-8). */
  warnings: string[];
}

export interface MmstatsReadFailure {
  ok: false;
  path: string;
  /** Why the file was skipped, e.g. `truncated record at offset 1234: …`. */
  reason: string;
}

export type MmstatsReadResult = MmstatsFile | MmstatsReadFailure;

export interface MmstatsReadOptions {
  /** Byte order of the writer (docs/file-format.md#byte-order); default the host's. `big` reads files from s390x. */
  byteOrder?: 'native' | 'little' | 'big';
  /** Extra reads of a field whose value changed between the first two reads; default 5. */
  maxRereads?: number;
  /** Larger files are skipped rather than read; default 64 MiB. */
  maxBytes?: number;
  /** A file whose reading takes longer is skipped rather than waited for; default 2000 ms. */
  maxMilliseconds?: number;
}

/** Positional reads of one open file; a test can hand in its own to change bytes between reads. */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `position`; fewer when the file is shorter now. */
  read(position: number, length: number): Uint8Array;
}

/** Bytes read at one moment, starting at file offset `base`. */
interface View {
  bytes: Uint8Array;
  dv: DataView;
  base: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_MILLISECONDS = 2000;

/**
 * Reads one mmstats file with plain reads, never a mapping: a writer truncating or re-creating its
 * file cannot kill us with SIGBUS (docs/file-format.md#readers). A file that is not valid version 1 comes back as a
 * failure with a reason; only a programming error (a bad argument) throws.
 */
export function readMmstatsFile(path: string, options: MmstatsReadOptions = {}): MmstatsReadResult {
  if (typeof path !== 'string' || path === '') {
    throw new MetricsError(
      'INVALID_OPTION',
      `readMmstatsFile needs a file path, got ${JSON.stringify(path)}.`,
    );
  }
  const maxBytes = checkOptions(options).maxBytes ?? DEFAULT_MAX_BYTES;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO someone named *.mmstats must not hang the reader.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { ok: false, path, reason: describeFsError(error) };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, path, reason: 'not a regular file' };
    if (stat.size > maxBytes) {
      return { ok: false, path, reason: `file of ${stat.size} bytes is larger than maxBytes (${maxBytes})` };
    }
    return readMmstatsSource(path, fileSource(fd, stat.size), options);
  } catch (error) {
    return { ok: false, path, reason: describeFsError(error) };
  } finally {
    closeSync(fd);
  }
}

/**
 * The reader proper, over any source of bytes. Reads the whole file twice and keeps a field's value
 * when its write-buffer byte and the buffer it names are the same in both reads; otherwise re-reads
 * that field until two reads agree, at most `maxRereads` times, then reports the last value marked
 * `unstable` (docs/file-format.md#torn-reads).
 */
export function readMmstatsSource(
  path: string,
  source: ByteSource,
  options: MmstatsReadOptions = {},
): MmstatsReadResult {
  const littleEndian =
    checkOptions(options).byteOrder === undefined || options.byteOrder === 'native'
      ? LITTLE_ENDIAN
      : options.byteOrder === 'little';
  const began = performance.now();
  const maxMilliseconds = options.maxMilliseconds ?? DEFAULT_MAX_MILLISECONDS;
  const tooSlow = (): MmstatsReadFailure => ({
    ok: false,
    path,
    reason: `reading took longer than maxMilliseconds (${maxMilliseconds} ms)`,
  });
  const first = view(source.read(0, source.size), 0);
  const layout = parseLayout(first.bytes, littleEndian);
  if (!layout.ok) return { ok: false, path, reason: layout.reason };
  if (performance.now() - began > maxMilliseconds) return tooSlow();
  const second = view(source.read(0, first.bytes.byteLength), 0);
  const maxRereads = options.maxRereads ?? 5;
  const fields: MmstatsField[] = [];
  const warnings: string[] = [];
  for (const [i, record] of layout.records.entries()) {
    if ((i & 1023) === 1023 && performance.now() - began > maxMilliseconds) return tooSlow();
    const { settled, unstable } = settle(record, first, second, source, maxRereads);
    const at = valueOffset(settled, record);
    const decoded = decodeValue(settled.bytes, settled.dv, at, record.kind, record.size, littleEndian);
    if (decoded.replaced) warnings.push(`string value of ${JSON.stringify(record.label)} is not valid UTF-8`);
    const field: MmstatsField = {
      label: record.label,
      sig: record.sig,
      value: decoded.value,
      buffered: record.buffered,
    };
    if (unstable) field.unstable = true;
    fields.push(field);
  }
  const pid = pidOf(fields);
  return pid === undefined ? { ok: true, path, fields, warnings } : { ok: true, path, fields, pid, warnings };
}

function checkOptions(options: MmstatsReadOptions): MmstatsReadOptions {
  const { byteOrder, maxRereads, maxBytes, maxMilliseconds } = options;
  if (maxMilliseconds !== undefined && !(typeof maxMilliseconds === 'number' && maxMilliseconds > 0)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `maxMilliseconds ${String(maxMilliseconds)}: use a number of milliseconds > 0.`,
    );
  }
  if (byteOrder !== undefined && byteOrder !== 'native' && byteOrder !== 'little' && byteOrder !== 'big') {
    throw new MetricsError(
      'INVALID_OPTION',
      `byteOrder ${JSON.stringify(byteOrder)}: use 'native', 'little' or 'big'.`,
    );
  }
  if (maxRereads !== undefined && !(Number.isInteger(maxRereads) && maxRereads >= 0)) {
    throw new MetricsError('INVALID_OPTION', `maxRereads ${String(maxRereads)}: use a whole number >= 0.`);
  }
  if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `maxBytes ${String(maxBytes)}: use a whole number of bytes > 0.`,
    );
  }
  return options;
}

function view(bytes: Uint8Array, base: number): View {
  return { bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), base };
}

/** Bytes of a record from its write-buffer byte to its last value byte. */
function spanOf(record: RecordLayout): number {
  return 1 + (record.buffered ? 2 : 1) * record.size;
}

/** Index in `v.bytes` of the value a reader must use, or -1 when `v` does not hold a valid one. */
function valueOffset(v: View, record: RecordLayout): number {
  const i = record.wbOffset - v.base;
  if (i < 0 || i + spanOf(record) > v.bytes.byteLength) return -1;
  const wb = v.bytes[i];
  if (!record.buffered) return wb === UNBUFFERED ? i + 1 : -1;
  // The writer fills buffer[wb] next; buffer[wb ^ 1] is the published one (docs/file-format.md#double-buffering).
  return wb === 0 || wb === 1 ? i + 1 + (wb ^ 1) * record.size : -1;
}

/** Same write-buffer byte and same bytes in the buffer it names: the value did not move. */
function agree(a: View, b: View, record: RecordLayout): boolean {
  const va = valueOffset(a, record);
  const vb = valueOffset(b, record);
  if (va < 0 || vb < 0) return false;
  if (a.bytes[record.wbOffset - a.base] !== b.bytes[record.wbOffset - b.base]) return false;
  for (let k = 0; k < record.size; k++) if (a.bytes[va + k] !== b.bytes[vb + k]) return false;
  return true;
}

function settle(
  record: RecordLayout,
  first: View,
  second: View,
  source: ByteSource,
  maxRereads: number,
): { settled: View; unstable: boolean } {
  if (agree(first, second, record)) return { settled: second, unstable: false };
  let previous = second;
  let last = valueOffset(second, record) >= 0 ? second : first;
  for (let i = 0; i < maxRereads; i++) {
    const current = view(source.read(record.wbOffset, spanOf(record)), record.wbOffset);
    if (agree(previous, current, record)) return { settled: current, unstable: false };
    if (valueOffset(current, record) >= 0) last = current;
    previous = current;
  }
  return { settled: last, unstable: true };
}

/** Like cleanstats: the owner is named by the label that ends in `sys.pid` (docs/file-format.md#default-fields). */
function pidOf(fields: readonly MmstatsField[]): number | undefined {
  const field = fields.find((f) => f.label === 'sys.pid') ?? fields.find((f) => f.label.endsWith('sys.pid'));
  const pid = field?.value;
  return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The bytes of an open file, read on demand by position. */
export function fileSource(fd: number, size: number): ByteSource {
  return {
    size,
    read(position, length) {
      const buffer = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buffer, got, length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return got === length ? buffer : buffer.subarray(0, got);
    },
  };
}

const FS_REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ELOOP: 'too many symbolic links',
};

/** `no such file or directory` rather than a stack trace: a reader reports files, it does not crash on them. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && FS_REASONS[code] !== undefined) return FS_REASONS[code];
  return error instanceof Error ? error.message : String(error);
}
