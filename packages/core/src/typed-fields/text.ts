import { checkCount, checkLabel, type FieldOptions, type FieldSpec, invalidField } from './field-spec.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** mmstats' `StringField` default size, and the size of `StaticTextField` (docs/file-format.md#value-types). */
export const DEFAULT_STRING_SIZE = 255;
export const STATIC_TEXT_SIZE = 256;
const MAX_STRING_SIZE = 1024 * 1024;

/**
 * `text` as UTF-8 in `size` bytes, NUL padded (no NUL when full). Longer text is cut at the last
 * whole character that fits, as mmstats does (it round-trips the cut bytes through a decoder), so
 * the field never holds a broken UTF-8 sequence.
 */
export function encodeText(text: string, size: number): Uint8Array {
  const out = new Uint8Array(size);
  const bytes = encoder.encode(text);
  let end = Math.min(bytes.byteLength, size);
  // A continuation byte (10xxxxxx) just past the cut means the cut splits a character.
  if (end < bytes.byteLength) while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  out.set(bytes.subarray(0, end));
  return out;
}

/** The text before the first NUL. */
export function decodeText(u8: Uint8Array, at: number, size: number): string {
  const value = u8.subarray(at, at + size);
  const nul = value.indexOf(0);
  return decoder.decode(nul < 0 ? value : value.subarray(0, nul));
}

export interface StringFieldOptions extends FieldOptions {
  /** Bytes of UTF-8 the field holds (`<size>s`); default 255. */
  size?: number;
  /** Start text; default empty. */
  initial?: string;
}

/**
 * `StringField`: `<size>s`, written in place. A reader can see a string half-written (the format
 * has no protection for it, docs/file-format.md#unbuffered-fields); it is built whole first, then copied in one call.
 */
export function stringField(options?: StringFieldOptions): FieldSpec<string, true> {
  const label = checkLabel('string', options);
  const size = checkCount('string', 'size', options?.size, DEFAULT_STRING_SIZE, MAX_STRING_SIZE);
  const initial = options?.initial ?? '';
  if (typeof initial !== 'string') throw invalidField('string', 'initial', initial, 'pass a string.');
  return {
    label,
    sig: `${size}s`,
    valueSize: size,
    buffered: false,
    writable: true,
    initial: () => encodeText(initial, size),
    bind(slot) {
      const { u8 } = slot;
      const at = slot.offset + 1;
      return {
        get: () => decodeText(u8, at, size),
        set(value) {
          u8.set(encodeText(String(value), size), at);
          slot.publish(at, at + size);
        },
      };
    },
  };
}

export interface StaticTextFieldOptions extends FieldOptions {
  /** The text, or a function called once when the file is made. */
  value: string | (() => string);
}

/** `StaticTextField`: `256s`, written once when the file is made; the property is read-only. */
export function staticTextField(options: StaticTextFieldOptions): FieldSpec<string, false> {
  const label = checkLabel('staticText', options);
  const value = options?.value;
  if (typeof value !== 'string' && typeof value !== 'function') {
    throw invalidField('staticText', 'value', value, 'pass a string, or a function returning one.');
  }
  return {
    label,
    sig: `${STATIC_TEXT_SIZE}s`,
    valueSize: STATIC_TEXT_SIZE,
    buffered: false,
    writable: false,
    initial: () => encodeText(String(typeof value === 'function' ? value() : value), STATIC_TEXT_SIZE),
    bind(slot) {
      const at = slot.offset + 1;
      return {
        get: () => decodeText(slot.u8, at, STATIC_TEXT_SIZE),
      };
    },
  };
}
