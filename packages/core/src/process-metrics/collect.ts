import { MetricsError } from '../errors.js';
import type { Labels } from '../metrics/labels.js';
import type { Metric } from '../metrics/metric.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import { activeResourceMetrics } from './active-resources.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { cpuMetrics } from './cpu.js';
import { eventLoopMetrics } from './event-loop.js';
import { fileDescriptorMetrics } from './file-descriptors.js';
import { gcMetrics } from './gc.js';
import { heapMetrics } from './heap.js';
import { memoryMetrics } from './memory.js';
import { processInfoMetrics } from './process-info.js';

/** prom-client's options for `collectDefaultMetrics`. */
export interface DefaultMetricsOptions {
  /** Registry to register with; default: the default registry. */
  register?: Registry;
  /** Prepended to every name, e.g. "my_app_" (an mmstats prefix such as "web.stats." works too). */
  prefix?: string;
  /** Sampling interval of the event-loop delay histogram in milliseconds; default 10. */
  eventLoopMonitoringPrecision?: number;
  /** Buckets of `nodejs_gc_duration_seconds`; default [0.001, 0.01, 0.1, 1, 2, 5]. */
  gcDurationBuckets?: number[];
  /** Constant labels added to every series, e.g. { app: 'checkout' }. */
  labels?: Record<string, string>;
  /**
   * `'prom-client'` (default): prom-client's names, `nodejs_active_handles_total` and the like
   * among them, gauges that `promtool check metrics` rejects for their `_total`. `'promtool'`:
   * those three are named `nodejs_active_{handles,requests,resources}_all` instead, and every
   * name passes promtool's lint.
   */
  names?: 'prom-client' | 'promtool';
}

const GROUPS: readonly ((ctx: DefaultMetricsContext) => DefaultMetricsGroup)[] = [
  cpuMetrics,
  processInfoMetrics,
  memoryMetrics,
  fileDescriptorMetrics,
  eventLoopMetrics,
  activeResourceMetrics,
  heapMetrics,
  gcMetrics,
];

/** The default metrics of each registry: a second call finds them here. */
const installed = new WeakMap<Registry, readonly Metric[]>();

/** A registry that is garbage collected takes its event-loop histogram and GC observer with it. */
const stopWhenCollected = new FinalizationRegistry<() => void>((stop) => stop());

function option(what: string, value: unknown, fix: string): MetricsError {
  return new MetricsError(
    'INVALID_OPTION',
    `collectDefaultMetrics: ${what} ${JSON.stringify(value)}. ${fix}`,
  );
}

function contextOf(registry: Registry, options: DefaultMetricsOptions): DefaultMetricsContext {
  const precision = options.eventLoopMonitoringPrecision ?? 10;
  if (!Number.isInteger(precision) || precision < 1) {
    throw option('eventLoopMonitoringPrecision is', precision, 'Pass a whole number of milliseconds >= 1.');
  }
  const names = options.names ?? 'prom-client';
  if (names !== 'prom-client' && names !== 'promtool') {
    throw option(
      'names is',
      names,
      'Pass "prom-client" (prom-client\'s names, the default) or "promtool" (names promtool accepts).',
    );
  }
  const labels: Labels = {};
  for (const [name, value] of Object.entries(options.labels ?? {})) {
    if (typeof value !== 'string') {
      throw option(`label "${name}" is`, value, 'Constant label values must be strings.');
    }
    labels[name] = value;
  }
  return {
    registers: [registry],
    prefix: options.prefix ?? '',
    labels: Object.freeze(labels),
    eventLoopMonitoringPrecision: precision,
    gcDurationBuckets: options.gcDurationBuckets,
    names,
  };
}

/** Creates every group; on a failure (a name clash, say) unregisters and stops what it created. */
function install(registry: Registry, ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const before = new Set(registry.getMetricsAsArray());
  const groups: DefaultMetricsGroup[] = [];
  try {
    for (const create of GROUPS) groups.push(create(ctx));
  } catch (error) {
    stopEach(groups)();
    for (const metric of registry.getMetricsAsArray())
      if (!before.has(metric)) registry.removeSingleMetric(metric.name);
    throw error;
  }
  return { metrics: groups.flatMap((group) => group.metrics), stop: stopEach(groups) };
}

/**
 * One stop for all groups, holding their stops only: the finalizer keeps it alive, so it must
 * not reach the metrics, whose collect callbacks reach the registry.
 */
function stopEach(groups: readonly DefaultMetricsGroup[]): () => void {
  const stops = groups.flatMap((group) => (group.stop ? [group.stop] : []));
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * Registers prom-client's default process and Node.js metrics (same names, so dashboards keep
 * working), plus `nodejs_eventloop_utilization_ratio`. Values are read at scrape time. Calling it
 * again for the same registry does nothing, except register again any of them that
 * `registry.clear()` or `removeSingleMetric` took away.
 */
export function collectDefaultMetrics(options: DefaultMetricsOptions = {}): void {
  if (options === null || typeof options !== 'object') {
    throw option('options must be an object, got', options, 'Pass { register?, prefix?, labels?, … }.');
  }
  const registry = options.register ?? defaultRegistry();
  if (typeof registry?.registerMetric !== 'function') {
    throw option('register is not a Registry:', String(registry), 'Pass a Registry from @mmstats/core.');
  }
  const existing = installed.get(registry);
  if (existing !== undefined) {
    for (const metric of existing)
      if (registry.getSingleMetric(metric.name) !== metric) registry.registerMetric(metric);
    return;
  }
  const { metrics, stop } = install(registry, contextOf(registry, options));
  installed.set(registry, metrics);
  if (stop) stopWhenCollected.register(registry, stop);
}

const refreshed = new WeakSet<Registry>();

/**
 * Other processes read the process metrics from this process' mmstats file (`mmstats slurp`, the
 * other workers of a cluster) between its own scrapes, so they are refreshed every `intervalMs`
 * rather than only when this process is scraped. Only the process metrics: an application's own
 * collect callbacks may be expensive and run at scrape time only, as in prom-client.
 */
export function keepProcessMetricsFresh(registry: Registry, intervalMs = 1000): void {
  if (refreshed.has(registry) || !installed.has(registry)) return;
  refreshed.add(registry);
  const ref = new WeakRef(registry);
  const run = () => {
    const live = ref.deref();
    if (live === undefined) return clearInterval(timer);
    for (const metric of installed.get(live) ?? []) {
      try {
        void Promise.resolve(metric.collect()).catch(() => {});
      } catch {}
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();
}
