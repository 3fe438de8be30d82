import { bufferedNumber } from './access.js';
import {
  DEFAULT_WINDOW,
  MAX_WINDOW,
  MmMovingAverage,
  type MovingAverageFieldOptions,
  meanField,
} from './averages.js';
import { CODECS } from './codecs.js';
import { checkCount, type FieldAccess, type FieldSpec, invalidField } from './field-spec.js';

/** Seconds on a monotonic clock: wall-clock jumps must not turn into negative durations. */
const monotonicSeconds = () => performance.now() / 1000;

/** One timing: from `start()` (or `time()`) until `stop()`. */
export class MmTimerContext {
  /** Clock reading at the start, in seconds. */
  readonly started: number;
  readonly #clock: () => number;
  readonly #record: (seconds: number) => void;
  #ended: number | undefined;

  constructor(clock: () => number, record: (seconds: number) => void) {
    this.#clock = clock;
    this.#record = record;
    this.started = clock();
  }

  get done(): boolean {
    return this.#ended !== undefined;
  }

  /** Seconds so far, or in total once stopped. */
  get elapsed(): number {
    return (this.#ended ?? this.#clock()) - this.started;
  }

  /** Ends the timing and records it; later calls only return the same elapsed time. */
  stop(): number {
    if (this.#ended === undefined) {
      this.#ended = this.#clock();
      this.#record(this.#ended - this.started);
    }
    return this.elapsed;
  }
}

/**
 * `TimerField`'s property: a moving average of elapsed seconds (mmstats' `with stats.timer:`).
 * `time(fn)` times a function, async ones until their promise settles; `start()` returns a
 * context to `stop()`, and `stop()` on the timer ends the one started last, as mmstats did.
 */
export class MmTimer extends MmMovingAverage {
  readonly #clock: () => number;
  readonly #record = (seconds: number) => {
    this.#last = seconds;
    this.add(seconds);
  };
  #current: MmTimerContext | undefined;
  #last = 0;

  constructor(access: FieldAccess<number>, size: number, clock: () => number) {
    super(access, size);
    this.#clock = clock;
  }

  /** Seconds of the last timing that ended; 0 before the first. */
  get last(): number {
    return this.#last;
  }

  start(): MmTimerContext {
    this.#current = new MmTimerContext(this.#clock, this.#record);
    return this.#current;
  }

  /** Ends the timing `start()` began last and returns its seconds; 0 when none is running. */
  stop(): number {
    const current = this.#current;
    this.#current = undefined;
    return current === undefined ? 0 : current.stop();
  }

  /** Runs `fn` and records how long it took, also when it throws or its promise rejects. */
  time<R>(fn: () => R): R {
    const context = new MmTimerContext(this.#clock, this.#record);
    let result: R;
    try {
      result = fn();
    } catch (error) {
      context.stop();
      throw error;
    }
    if (isThenable(result)) {
      const stop = () => {
        context.stop();
      };
      result.then(stop, stop);
    } else {
      context.stop();
    }
    return result;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

export interface TimerFieldOptions extends MovingAverageFieldOptions {
  /** Current time in seconds (mmstats' `timer=` argument); default a monotonic clock. */
  clock?: () => number;
}

/** `TimerField(size=100)`: `d`, double-buffered; the moving average of elapsed seconds. */
export function timerField(options?: TimerFieldOptions): FieldSpec<MmTimer, false> {
  const size = checkCount('timer', 'size', options?.size, DEFAULT_WINDOW, MAX_WINDOW);
  const clock = options?.clock ?? monotonicSeconds;
  if (typeof clock !== 'function') {
    throw invalidField('timer', 'clock', clock, 'pass a function returning the time in seconds.');
  }
  return meanField('timer', options, (slot) => new MmTimer(bufferedNumber(slot, CODECS.d), size, clock));
}
