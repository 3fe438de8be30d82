import { bufferedNumber } from './access.js';
import { CODECS } from './codecs.js';
import {
  checkCount,
  checkLabel,
  type FieldAccess,
  type FieldOptions,
  type FieldSlot,
  type FieldSpec,
} from './field-spec.js';

/** mmstats' `MovingAverageField` default window. */
export const DEFAULT_WINDOW = 100;
export const MAX_WINDOW = 1_000_000;

/** `AverageField`'s property: `add(x)`; `value` is the mean of every sample since start. */
export class MmAverage {
  readonly #access: FieldAccess<number>;
  // Count and total live in process memory, as in mmstats: the file holds only the mean.
  #count = 0;
  #total = 0;

  constructor(access: FieldAccess<number>) {
    this.#access = access;
  }

  get value(): number {
    return this.#access.get();
  }

  add(sample: number): void {
    this.#count += 1;
    this.#total += sample;
    this.#access.set!(this.#total / this.#count);
  }
}

/** `MovingAverageField`'s property: `value` is the mean of the last `size` samples (fewer until full). */
export class MmMovingAverage {
  readonly #access: FieldAccess<number>;
  readonly #window: Float64Array;
  #next = 0;
  #full = false;
  #sum = 0;

  constructor(access: FieldAccess<number>, size: number) {
    this.#access = access;
    this.#window = new Float64Array(size);
  }

  get value(): number {
    return this.#access.get();
  }

  /** Samples the mean is taken over once the window is full. */
  get size(): number {
    return this.#window.length;
  }

  add(sample: number): void {
    const window = this.#window;
    this.#sum += sample - window[this.#next]!;
    window[this.#next] = sample;
    const count = this.#full ? window.length : this.#next + 1;
    if (++this.#next === window.length) {
      this.#next = 0;
      this.#full = true;
    }
    // A running sum is O(1) per sample; summing afresh once per window (or after an infinity
    // left it NaN) keeps rounding error from piling up.
    if (this.#next === 0 || !Number.isFinite(this.#sum)) this.#sum = sum(window);
    this.#access.set!(this.#sum / count);
  }
}

function sum(values: Float64Array): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/** `AverageField`: `d`, double-buffered. */
export function averageField(options?: FieldOptions): FieldSpec<MmAverage, false> {
  return meanField('average', options, (slot) => new MmAverage(bufferedNumber(slot, CODECS.d)));
}

export interface MovingAverageFieldOptions extends FieldOptions {
  /** Samples in the window; default 100. */
  size?: number;
}

/** `MovingAverageField(size=100)`: `d`, double-buffered. */
export function movingAverageField(options?: MovingAverageFieldOptions): FieldSpec<MmMovingAverage, false> {
  const size = checkCount('movingAverage', 'size', options?.size, DEFAULT_WINDOW, MAX_WINDOW);
  return meanField(
    'movingAverage',
    options,
    (slot) => new MmMovingAverage(bufferedNumber(slot, CODECS.d), size),
  );
}

/** A `d` field whose property is an object made once the file exists. */
export function meanField<T>(
  kind: string,
  options: FieldOptions | undefined,
  make: (slot: FieldSlot) => T,
): FieldSpec<T, false> {
  const label = checkLabel(kind, options);
  return {
    label,
    sig: 'd',
    valueSize: 8,
    buffered: true,
    writable: false,
    initial: () => undefined,
    bind(slot) {
      const value = make(slot);
      return { get: () => value };
    },
  };
}
