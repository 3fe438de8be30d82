import { bufferedNumber } from './access.js';
import { CODECS } from './codecs.js';
import { checkLabel, type FieldAccess, type FieldOptions, type FieldSpec } from './field-spec.js';

/**
 * The property of a counter field, with mmstats' `CounterField` interface: `incr(n = 1)` and a
 * settable `value`. An object rather than a number so that `stats.hits.incr()` reads as it did in
 * Python; it wraps modulo 2^64 like the `Q` it is stored in.
 */
export class MmCounter {
  readonly #access: FieldAccess<number>;
  readonly #set: (value: number) => void;

  constructor(access: FieldAccess<number>) {
    this.#access = access;
    this.#set = access.set!;
  }

  get value(): number {
    return this.#access.get();
  }

  set value(value: number) {
    this.#set(value);
  }

  incr(n = 1): void {
    this.#set(this.#access.get() + n);
  }
}

/** `CounterField`: `Q`, double-buffered, starts at 0. */
export function counterField(options?: FieldOptions): FieldSpec<MmCounter, false> {
  const label = checkLabel('counter', options);
  return {
    label,
    sig: 'Q',
    valueSize: 8,
    buffered: true,
    writable: false,
    initial: () => undefined,
    bind(slot) {
      const counter = new MmCounter(bufferedNumber(slot, CODECS.Q));
      return { get: () => counter };
    },
  };
}
