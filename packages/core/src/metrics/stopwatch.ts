/**
 * Starts a stopwatch; the returned function gives elapsed seconds.
 *
 * `performance.now()` is read through the global at each call, not through a binding taken at
 * import time: fake timers (vitest's `toFake: ['performance']`, jest's modern timers) replace
 * `globalThis.performance`, and a timer must see the clock they move. In production it is the same
 * monotonic, sub-microsecond clock; `Date.now()` would lose precision and jump with the wall clock.
 */
export function stopwatch(): () => number {
  const clock = globalThis.performance;
  const start = clock.now();
  return () => (clock.now() - start) / 1000;
}

/** prom-client's `startTimer()` of a bound child: the returned function records the seconds since now, and returns them. */
export function timerRecording(record: (seconds: number) => void): () => number {
  const clock = globalThis.performance;
  const start = clock.now();
  return () => {
    const seconds = (clock.now() - start) / 1000;
    record(seconds);
    return seconds;
  };
}
