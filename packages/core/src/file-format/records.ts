import { UNBUFFERED } from './constants.js';

/** Storage codes a version-1 file may use (docs/file-format.md#value-types); `s` is `<N>s`. */
export type ValueKind = 'Q' | 'q' | 'I' | 'i' | 'H' | 'h' | 'B' | 'b' | '?' | 'f' | 'd' | 's';

/** Where one record sits in a file and how to decode it; values are read separately. */
export interface RecordLayout {
  /** File offset of the record's label_len. */
  offset: number;
  label: string;
  sig: string;
  kind: ValueKind;
  /** Bytes of one value (`S` in docs/file-format.md#records). */
  size: number;
  /** File offset of the write-buffer byte; the value(s) follow it. */
  wbOffset: number;
  buffered: boolean;
}

export type LayoutResult = { ok: true; records: RecordLayout[] } | { ok: false; reason: string };

const FIXED_SIZES: Readonly<Record<string, number>> = {
  Q: 8,
  q: 8,
  I: 4,
  i: 4,
  H: 2,
  h: 2,
  B: 1,
  b: 1,
  '?': 1,
  f: 4,
  d: 8,
};

export const INTEGER_KINDS: ReadonlySet<ValueKind> = new Set(['Q', 'q', 'I', 'i', 'H', 'h', 'B', 'b', '?']);

const labelDecoder = new TextDecoder('utf-8', { fatal: true });
const SIGNATURE_HELP = 'expected one of Q q I i H h B b ? f d <N>s';

/** One struct code, as Python's `struct` reads it in native mode; `s` alone means `1s`. */
export function parseSignature(sig: string): { kind: ValueKind; size: number } | null {
  const fixed = FIXED_SIZES[sig];
  if (fixed !== undefined) return { kind: sig as ValueKind, size: fixed };
  const string = /^(\d{0,9})s$/.exec(sig);
  if (string === null) return null;
  return { kind: 's', size: string[1] === '' ? 1 : Number(string[1]) };
}

/**
 * Lays out the records of a version-1 image (docs/file-format.md#records): stops at a zero label_len or at the end
 * of the data, as the 0.8.0 reader does (docs/file-format.md#end-of-records). Anything the format cannot contain — a
 * record past the end, an unknown signature, a write-buffer byte other than 0, 1, 255 (section
 * 3.3) — makes the whole file malformed: past such a record nothing can be trusted.
 */
export function parseLayout(bytes: Uint8Array, littleEndian: boolean): LayoutResult {
  if (bytes.byteLength === 0) {
    return { ok: false, reason: 'empty file (0 bytes): its writer has not initialised it yet' };
  }
  if (bytes[0] !== 1) {
    const hint = bytes[0] === 0 ? ': the file is still being created, or is not an mmstats file' : '';
    return { ok: false, reason: `format version ${bytes[0]} in byte 0, expected 1${hint}` };
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RecordLayout[] = [];
  let p = 1;
  while (p < bytes.byteLength) {
    if (p + 1 === bytes.byteLength) {
      if (bytes[p] === 0) break;
      return { ok: false, reason: `truncated record at offset ${p}: 1 byte left for a 2-byte label length` };
    }
    const labelLen = dv.getUint16(p, littleEndian);
    if (labelLen === 0) break;
    const record = parseRecord(bytes, dv, p, labelLen, littleEndian);
    if (typeof record === 'string') return { ok: false, reason: record };
    records.push(record);
    p = record.wbOffset + 1 + (record.buffered ? 2 : 1) * record.size;
  }
  return { ok: true, records };
}

/** One record at `p` (docs/file-format.md#records), or the reason it cannot be one. */
function parseRecord(
  bytes: Uint8Array,
  dv: DataView,
  p: number,
  labelLen: number,
  littleEndian: boolean,
): RecordLayout | string {
  const end = bytes.byteLength;
  const sigLenAt = p + 2 + labelLen;
  if (sigLenAt + 2 > end) return truncated(p, end, `a label of ${labelLen} bytes`);
  const label = decodeLabel(bytes, p + 2, sigLenAt);
  if (label === null) return `the label of the record at offset ${p} is not valid UTF-8`;
  const sigLen = dv.getUint16(sigLenAt, littleEndian);
  if (sigLen === 0) return `signature length 0 ${where(p, label)}`;
  const wbOffset = sigLenAt + 2 + sigLen;
  if (wbOffset + 1 > end) return truncated(p, end, `a signature of ${sigLen} bytes`);
  // The longest signature the format can hold is `<9 digits>s`; only show the start of a longer one.
  const sig = ascii(bytes, sigLenAt + 2, Math.min(wbOffset, sigLenAt + 2 + 16));
  const parsed = sigLen <= 10 ? parseSignature(sig) : null;
  if (parsed === null)
    return `unknown signature ${JSON.stringify(sig)} ${where(p, label)}: ${SIGNATURE_HELP}`;
  const wb = bytes[wbOffset]!;
  if (wb !== 0 && wb !== 1 && wb !== UNBUFFERED) {
    return `invalid write-buffer byte ${wb} ${where(p, label)}: expected 0 or 1 (buffered) or 255 (unbuffered)`;
  }
  const buffered = wb !== UNBUFFERED;
  const valueBytes = (buffered ? 2 : 1) * parsed.size;
  if (wbOffset + 1 + valueBytes > end) return truncated(p, end, `a ${sig} value of ${valueBytes} bytes`);
  return {
    offset: p,
    label: trimPadding(label, labelLen),
    sig,
    kind: parsed.kind,
    size: parsed.size,
    wbOffset,
    buffered,
  };
}

function truncated(p: number, end: number, what: string): string {
  return `truncated record at offset ${p}: ${what} runs past the end of the data (${end} bytes)`;
}

function where(p: number, label: string): string {
  return `in the record at offset ${p} (label ${JSON.stringify(label)})`;
}

/** Bytes as Latin-1 characters: exact for ASCII, readable enough for a bad signature. */
function ascii(bytes: Uint8Array, from: number, to: number): string {
  // Buffer builds one flat string natively; concatenating characters would build a rope per label.
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
}

/**
 * Labels are ASCII in practice (docs/file-format.md#field-labels): build those directly, cheaper than TextDecoder on
 * short strings; anything else goes through a strict UTF-8 decoder.
 */
function decodeLabel(bytes: Uint8Array, from: number, to: number): string | null {
  let high = false;
  for (let i = from; i < to && !high; i++) high = bytes[i]! > 0x7f;
  if (!high) return ascii(bytes, from, to);
  try {
    return labelDecoder.decode(bytes.subarray(from, to));
  } catch {
    return null;
  }
}

/**
 * Our writer pads a label whose byte length would be a multiple of 256 with one space, because old
 * readers take such a length for the end marker (docs/file-format.md#label-length); the padding is not part of the name.
 */
function trimPadding(label: string, byteLength: number): string {
  return byteLength > 256 && byteLength % 256 === 1 && label.endsWith(' ') ? label.slice(0, -1) : label;
}
