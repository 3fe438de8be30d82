import { bufferedNumber, inPlaceNumber } from './access.js';
import { CODECS, encodeNumber, type NumberCodec } from './codecs.js';
import { checkLabel, type FieldOptions, type FieldSpec, invalidField } from './field-spec.js';

/** Options of the plain number fields. */
export interface NumberFieldOptions extends FieldOptions {
  /** Start value in both buffers; default 0. */
  initial?: number;
}

export interface BoolFieldOptions extends FieldOptions {
  /** Start value (mmstats' `BoolField(initial=…)`); default false. */
  initial?: boolean;
}

function checkInitial(kind: string, initial: unknown): number | undefined {
  if (initial === undefined || typeof initial === 'number') return initial;
  throw invalidField(kind, 'initial', initial, 'pass a number.');
}

function numberField(
  kind: string,
  codec: NumberCodec,
  buffered: boolean,
  options: NumberFieldOptions | undefined,
): FieldSpec<number, true> {
  const label = checkLabel(kind, options);
  const initial = checkInitial(kind, options?.initial);
  return {
    label,
    sig: codec.sig,
    valueSize: codec.size,
    buffered,
    writable: true,
    initial: () => (initial === undefined ? undefined : encodeNumber(codec, initial)),
    bind: (slot) => (buffered ? bufferedNumber(slot, codec) : inPlaceNumber(slot, codec)),
  };
}

/** mmstats' `UInt64Field`: `Q`, double-buffered. Exact up to 2^53, like every JavaScript number. */
export const uint64Field = (options?: NumberFieldOptions) => numberField('uint64', CODECS.Q, true, options);
/** `UIntField`: `I`, double-buffered; wraps modulo 2^32 (-100 reads back 4294967196). */
export const uintField = (options?: NumberFieldOptions) => numberField('uint', CODECS.I, true, options);
/** `IntField`: `i`, double-buffered. */
export const intField = (options?: NumberFieldOptions) => numberField('int', CODECS.i, true, options);
/** `ShortField`: `h`, double-buffered. */
export const shortField = (options?: NumberFieldOptions) => numberField('short', CODECS.h, true, options);
/** `UShortField`: `H`, double-buffered. */
export const ushortField = (options?: NumberFieldOptions) => numberField('ushort', CODECS.H, true, options);
/** `FloatField`: `f` (float32), double-buffered. */
export const floatField = (options?: NumberFieldOptions) => numberField('float', CODECS.f, true, options);
/** `DoubleField`: `d`, double-buffered. */
export const doubleField = (options?: NumberFieldOptions) => numberField('double', CODECS.d, true, options);
/** `ByteField`: `b` (int8), written in place: a one-byte store cannot tear. */
export const byteField = (options?: NumberFieldOptions) => numberField('byte', CODECS.b, false, options);

/** `BoolField`: `?`, one byte written in place, always exactly 0 or 1 (docs/file-format.md#value-types). */
export function boolField(options?: BoolFieldOptions): FieldSpec<boolean, true> {
  const label = checkLabel('bool', options);
  const initial = options?.initial;
  if (initial !== undefined && typeof initial !== 'boolean') {
    throw invalidField('bool', 'initial', initial, 'pass true or false.');
  }
  return {
    label,
    sig: '?',
    valueSize: 1,
    buffered: false,
    writable: true,
    initial: () => Uint8Array.of(initial ? 1 : 0),
    bind(slot) {
      const { u8 } = slot;
      const at = slot.offset + 1;
      return {
        get: () => u8[at] !== 0,
        set(value) {
          // Any truthy value is true, as in Python; the byte is only ever 0 or 1.
          u8[at] = value ? 1 : 0;
          slot.publish(at, at + 1);
        },
      };
    },
  };
}
