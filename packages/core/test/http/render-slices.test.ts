import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { Counter, clusterMetrics, Registry } from '../../src/index.js';
import { tempDirectories } from '../storage/support/warnings.js';

/**
 * Issue 19, "rendering never blocks the event loop for long": the endpoint and the cluster view
 * render in slices, yielding between them. A timer that should fire every millisecond measures
 * the longest the loop was held while 100,000 series are rendered.
 */
async function longestStall(
  work: () => Promise<unknown>,
): Promise<{ stall: number; elapsed: number; result: unknown }> {
  const began = performance.now();
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  last = performance.now();
  const result = await work();
  clearInterval(timer);
  return { stall: Math.max(stall, performance.now() - last), elapsed: performance.now() - began, result };
}

function bigRegistry(
  storage: NonNullable<ConstructorParameters<typeof Registry>[0]>['storage'],
  count = 100_000,
): Registry {
  const registry = new Registry({ storage, cardinalityLimit: Number.POSITIVE_INFINITY });
  const counter = new Counter({ name: 'user_total', help: 'u', labelNames: ['user'], registers: [registry] });
  for (let i = 0; i < count; i++) counter.inc({ user: `u${i}` });
  return registry;
}

/**
 * Relative bounds, so that a loaded machine (where one garbage collection can take tens of ms)
 * does not fail them and a fast one does not pass a render in one piece: such a render holds the
 * loop for all of its time, slices for a small part of it.
 */
const bound = (elapsed: number) => elapsed / 3;

describe('rendering in slices', () => {
  it('100,000 series in-process: the same text as metrics(), the loop never held long', async () => {
    const registry = bigRegistry(false);
    const started = performance.now();
    const whole = registry.metrics() as string;
    const wholeMs = performance.now() - started;
    const { stall, elapsed, result } = await longestStall(() => registry.renderInSlices());
    expect(String(result)).toBe(whole);
    expect(stall, `sliced stall ${stall.toFixed(1)} ms, whole render ${wholeMs.toFixed(1)} ms`).toBeLessThan(
      Math.max(bound(elapsed), wholeMs / 2),
    );
  });

  // The cluster view allocates per series (the files' fields, the merged families): at 100,000
  // series its garbage collections alone can hold the loop longer than the bound above.
  it('20,000 series in the cluster view: the loop never held long', async () => {
    const dirs = tempDirectories();
    const registry = bigRegistry({ directory: dirs.make(), segmentSize: 16 * 1024 * 1024 }, 20_000);
    try {
      const view = clusterMetrics(registry);
      await view.metrics();
      const { stall, elapsed, result } = await longestStall(() => view.renderInSlices());
      expect(String(result).match(/^user_total\{/gm)).toHaveLength(20_000);
      expect(stall, `cluster stall ${stall.toFixed(1)} ms of ${elapsed.toFixed(0)} ms`).toBeLessThan(
        bound(elapsed),
      );
    } finally {
      registry.close();
      dirs.cleanup();
    }
  });
});
