import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { Histogram } from '../metrics/histogram.js';
import type { Labels } from '../metrics/labels.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/** prom-client's buckets for GC pauses, in seconds. */
export const GC_DURATION_BUCKETS: readonly number[] = Object.freeze([0.001, 0.01, 0.1, 1, 2, 5]);

const KINDS: readonly [number, string][] = [
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
];

/** A 'gc' entry; @types/node 20 leaves `detail` off PerformanceEntry. */
type GcEntry = PerformanceEntry & { detail?: { kind?: number } | null };

/**
 * GC pauses by kind, observed as they happen. The label objects are built once, so an observed
 * GC allocates nothing of ours; the observer holds no registry and does not keep the process alive.
 */
export function gc(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const histogram = new Histogram({
    ...declare(
      ctx,
      'nodejs_gc_duration_seconds',
      'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      { unit: 'seconds', labelNames: ['kind'] },
    ),
    buckets: ctx.gcDurationBuckets ?? GC_DURATION_BUCKETS,
  });
  const labelsOf = new Map<number, Readonly<Labels>>();
  for (const [kind, name] of KINDS) labelsOf.set(kind, Object.freeze({ kind: name, ...ctx.labels }));
  return { metrics: [histogram], stop: observeGc(histogram, labelsOf) };
}

/**
 * Starts the observer and returns its stop. Kept out of gcMetrics on purpose: a closure holds
 * every variable its scope shares with other closures, and this one must not hold `ctx` (and
 * through it the registry), or a dropped registry could never be collected.
 */
function observeGc(histogram: Histogram, labelsOf: ReadonlyMap<number, Readonly<Labels>>): () => void {
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const labels = labelsOf.get((entry as GcEntry).detail?.kind ?? -1);
      if (labels !== undefined) histogram.observe(labels, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
