import { performance } from 'node:perf_hooks';

/** Starts a stopwatch; the returned function gives elapsed seconds. */
export function stopwatch(): () => number {
  const start = performance.now();
  return () => (performance.now() - start) / 1000;
}
