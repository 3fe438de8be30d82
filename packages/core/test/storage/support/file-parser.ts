import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';

/**
 * A deliberately small, independent mmstats v1 parser (docs/file-format.md#records-3.7), so
 * the storage tests check the bytes, not our own writer's idea of them.
 */
const LE = endianness() === 'LE';

export interface ParsedField {
  label: string;
  /** Label bytes as stored (to check the trailing-space rule). */
  labelBytes: number;
  sig: string;
  writeBuffer: number;
  /** Offset of the write-buffer byte. */
  wbOffset: number;
  value: number | string;
}

export interface ParsedImage {
  version: number;
  fields: ParsedField[];
  /** Offset of the end marker (two zero bytes). */
  end: number;
}

function size(sig: string): number {
  if (sig.endsWith('s')) return Number(sig.slice(0, -1));
  return { Q: 8, q: 8, d: 8, I: 4, i: 4, f: 4, H: 2, h: 2, B: 1, b: 1, '?': 1 }[sig] ?? Number.NaN;
}

function decode(dv: DataView, at: number, sig: string): number | string {
  switch (sig) {
    case 'Q':
      return Number(dv.getBigUint64(at, LE));
    case 'q':
      return Number(dv.getBigInt64(at, LE));
    case 'd':
      return dv.getFloat64(at, LE);
    case 'I':
      return dv.getUint32(at, LE);
    default: {
      const bytes = new Uint8Array(dv.buffer, dv.byteOffset + at, size(sig));
      const nul = bytes.indexOf(0);
      return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
    }
  }
}

export function parseImage(bytes: Uint8Array): ParsedImage {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: ParsedField[] = [];
  let p = 1;
  while (p + 2 <= bytes.byteLength) {
    const labelLen = dv.getUint16(p, LE);
    if (labelLen === 0) break;
    const label = new TextDecoder().decode(bytes.subarray(p + 2, p + 2 + labelLen));
    const sigAt = p + 2 + labelLen;
    const sigLen = dv.getUint16(sigAt, LE);
    const sig = new TextDecoder().decode(bytes.subarray(sigAt + 2, sigAt + 2 + sigLen));
    const wbOffset = sigAt + 2 + sigLen;
    const writeBuffer = bytes[wbOffset]!;
    const s = size(sig);
    if (!Number.isFinite(s) || s <= 0) throw new Error(`bad signature "${sig}" at ${sigAt}`);
    if (writeBuffer !== 0 && writeBuffer !== 1 && writeBuffer !== 0xff)
      throw new Error(`bad write-buffer byte ${writeBuffer} at ${wbOffset}`);
    const valueAt = writeBuffer === 0xff ? wbOffset + 1 : wbOffset + 1 + (writeBuffer ^ 1) * s;
    fields.push({ label, labelBytes: labelLen, sig, writeBuffer, wbOffset, value: decode(dv, valueAt, sig) });
    p = wbOffset + 1 + s * (writeBuffer === 0xff ? 1 : 2);
    if (p > bytes.byteLength) throw new Error(`record at ${wbOffset} runs past the end of the file`);
  }
  return { version: bytes[0]!, fields, end: p };
}

export function parseFile(path: string): ParsedImage {
  return parseImage(readFileSync(path));
}

/** label -> value; a label that occurs twice keeps its last value. */
export function valuesOf(image: ParsedImage): Map<string, number | string> {
  return new Map(image.fields.map((f) => [f.label, f.value]));
}

/**
 * Reads one buffered `d` field the way docs/file-format.md#torn-reads recommends: twice, accepted when the write-buffer
 * byte and the read buffer agree; undefined when it never settled within `attempts`.
 */
export function readStableDouble(fd: number, wbOffset: number, attempts = 100): number | undefined {
  const a = Buffer.alloc(17);
  const b = Buffer.alloc(17);
  for (let i = 0; i < attempts; i++) {
    readSync(fd, a, 0, 17, wbOffset);
    readSync(fd, b, 0, 17, wbOffset);
    const wb = a[0]!;
    if (wb !== b[0] || wb > 1) continue;
    const at = 1 + (wb ^ 1) * 8;
    if (a.compare(b, at, at + 8, at, at + 8) !== 0) continue;
    return LE ? a.readDoubleLE(at) : a.readDoubleBE(at);
  }
  return undefined;
}

export async function withFile<T>(path: string, use: (fd: number) => Promise<T>): Promise<T> {
  const fd = openSync(path, 'r');
  try {
    return await use(fd);
  } finally {
    closeSync(fd);
  }
}
