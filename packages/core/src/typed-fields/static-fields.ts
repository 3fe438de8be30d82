import { inPlaceNumber } from './access.js';
import { CODECS, encodeNumber, type NumberCodec } from './codecs.js';
import { checkLabel, type FieldOptions, type FieldSpec, invalidField } from './field-spec.js';

export interface StaticFieldOptions extends FieldOptions {
  /** The value, or a function called once when the file is made (mmstats' callable values). */
  value: number | (() => number);
}

/**
 * mmstats' `Static*Field`s: written once when the file is made, unbuffered (0xFF), read-only
 * properties that read the file's bytes back.
 */
function staticField(
  kind: string,
  codec: NumberCodec,
  options: StaticFieldOptions | undefined,
): FieldSpec<number, false> {
  const label = checkLabel(kind, options);
  const value = options?.value;
  if (typeof value !== 'number' && typeof value !== 'function') {
    throw invalidField(kind, 'value', value, 'pass a number, or a function returning one.');
  }
  return {
    label,
    sig: codec.sig,
    valueSize: codec.size,
    buffered: false,
    writable: false,
    initial() {
      const resolved = typeof value === 'function' ? value() : value;
      if (typeof resolved !== 'number') {
        throw invalidField(kind, 'value()', resolved, 'the function must return a number.');
      }
      return encodeNumber(codec, resolved);
    },
    bind: (slot) => ({ get: inPlaceNumber(slot, codec).get }),
  };
}

/** `StaticUIntField`: `I`. */
export const staticUintField = (options: StaticFieldOptions) => staticField('staticUint', CODECS.I, options);
/** `StaticInt64Field`: `q`. */
export const staticInt64Field = (options: StaticFieldOptions) =>
  staticField('staticInt64', CODECS.q, options);
/** `StaticUInt64Field`: `Q`. */
export const staticUint64Field = (options: StaticFieldOptions) =>
  staticField('staticUint64', CODECS.Q, options);
/** `StaticFloatField`: `f`. */
export const staticFloatField = (options: StaticFieldOptions) =>
  staticField('staticFloat', CODECS.f, options);
/** `StaticDoubleField`: `d`. */
export const staticDoubleField = (options: StaticFieldOptions) =>
  staticField('staticDouble', CODECS.d, options);
