import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/**
 * A full GC before each timed batch, so one library's garbage is not collected on the other's
 * clock. Garbage a batch makes itself is still collected inside it: that cost is real.
 */
export const collectGarbage = runInNewContext('gc');

/** Runs `fn(n)` once and returns nanoseconds per call; `sink` keeps the result alive. */
export async function timeBatch(fn, n, sink) {
  const start = process.hrtime.bigint();
  const result = await fn(n);
  const elapsed = Number(process.hrtime.bigint() - start);
  sink.value += typeof result === 'number' ? result : 0;
  return elapsed / n;
}

/** Runs `fn` for about `ms` milliseconds, in growing batches, so the JIT has optimised it. */
export async function warmUp(fn, ms, sink) {
  const deadline = performance.now() + ms;
  let n = 1;
  while (performance.now() < deadline) {
    const nsPerCall = await timeBatch(fn, n, sink);
    const leftNs = (deadline - performance.now()) * 1e6;
    n = Math.max(1, Math.min(n * 2, Math.floor(leftNs / nsPerCall)));
  }
}

/** The call count that makes one batch last about `ms` milliseconds (at least one call). */
export async function calibrate(fn, ms, sink) {
  let n = 1;
  let nsPerCall = await timeBatch(fn, n, sink);
  // Grow the probe until it lasts a tenth of a batch, so the estimate is not just timer noise.
  while (n * nsPerCall < (ms * 1e6) / 10) {
    n = Math.min(n * 10, Math.ceil((ms * 1e6) / 10 / nsPerCall));
    nsPerCall = await timeBatch(fn, n, sink);
  }
  return Math.max(1, Math.round((ms * 1e6) / nsPerCall));
}
