import { MetricsError } from '../errors.js';
import type { Labels } from '../metrics/labels.js';
import type { Metric } from '../metrics/metric.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { DEFAULT_METRIC_MODULES, type DefaultMetricModule } from './modules.js';

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
  /**
   * Constant labels added to every series, e.g. { app: 'checkout' }. A label whose value is
   * `undefined` is left out, so `{ NODE_APP_INSTANCE: process.env.NODE_APP_INSTANCE }` works
   * outside PM2 too.
   */
  labels?: Record<string, string | undefined>;
  /**
   * `'prom-client'` (default): prom-client's names, `nodejs_active_handles_total` and the like
   * among them, gauges that `promtool check metrics` rejects for their `_total`. `'promtool'`:
   * those three are named `nodejs_active_{handles,requests,resources}_all` instead, and every
   * name passes promtool's lint.
   */
  names?: 'prom-client' | 'promtool';
}

const ALL_MODULES = Object.keys(DEFAULT_METRIC_MODULES) as DefaultMetricModule[];

/** One call's metrics, and how to stop what observes the runtime for them. */
interface Installed {
  readonly metrics: readonly Metric[];
  readonly stop: (() => void) | undefined;
}

/** The default metrics of each registry by the options that made them: a second call finds them here. */
const installed = new WeakMap<Registry, Map<string, Installed>>();

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
    if (value === undefined) continue;
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
function install(
  registry: Registry,
  ctx: DefaultMetricsContext,
  modules: readonly DefaultMetricModule[],
): DefaultMetricsGroup {
  const before = new Set(registry.getMetricsAsArray());
  const groups: DefaultMetricsGroup[] = [];
  try {
    for (const name of modules) groups.push(DEFAULT_METRIC_MODULES[name]!(ctx));
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

/** What makes two calls the same call: every option but the registry. */
function signature(ctx: DefaultMetricsContext, modules: readonly DefaultMetricModule[]): string {
  return JSON.stringify([
    modules,
    ctx.prefix,
    ctx.labels,
    ctx.eventLoopMonitoringPrecision,
    ctx.gcDurationBuckets,
    ctx.names,
  ]);
}

/**
 * Registers prom-client's default process and Node.js metrics (same names, so dashboards keep
 * working), plus `nodejs_eventloop_utilization_ratio`. Values are read at scrape time.
 *
 * A second call for the same registry with the same options does nothing, except register again
 * any of them that `removeSingleMetric` took away. Once `registry.clear()` has taken all of them
 * away, a call starts afresh with its own options, as in prom-client. Another `prefix` adds a
 * second set, as in prom-client; other options with the same prefix clash (DUPLICATE_METRIC).
 */
export const collectDefaultMetrics: ((options?: DefaultMetricsOptions | null) => void) & {
  /** prom-client's names of the default metric modules, keys of `defaultMetrics`. */
  readonly metricsList: readonly DefaultMetricModule[];
} = Object.assign((options?: DefaultMetricsOptions | null) => collectModules(options ?? {}, ALL_MODULES), {
  metricsList: Object.freeze([...ALL_MODULES]),
});

/**
 * prom-client's per-metric modules (its `lib/metrics/<name>.js`), each registering its own metrics
 * alone: `defaultMetrics.heapSizeAndUsed(registry, { prefix })`. The same rules as
 * `collectDefaultMetrics` apply to a second call.
 */
export const defaultMetrics: Readonly<
  Record<DefaultMetricModule, (register?: Registry | null, config?: DefaultMetricsOptions) => void>
> = Object.freeze(
  Object.fromEntries(
    ALL_MODULES.map((name) => [
      name,
      (register?: Registry | null, config: DefaultMetricsOptions = {}) =>
        collectModules({ ...config, register: register ?? config.register }, [name]),
    ]),
  ) as Record<DefaultMetricModule, (register?: Registry | null, config?: DefaultMetricsOptions) => void>,
);

function collectModules(options: DefaultMetricsOptions, modules: readonly DefaultMetricModule[]): void {
  if (options === null || typeof options !== 'object') {
    throw option('options must be an object, got', options, 'Pass { register?, prefix?, labels?, … }.');
  }
  const registry = options.register ?? defaultRegistry();
  if (typeof registry?.registerMetric !== 'function') {
    throw option('register is not a Registry:', String(registry), 'Pass a Registry from @mmstats/core.');
  }
  let calls = installed.get(registry);
  if (calls === undefined) {
    calls = new Map();
    installed.set(registry, calls);
  }
  for (const [key, call] of calls) {
    if (call.metrics.every((metric) => registry.getSingleMetric(metric.name) !== metric)) {
      // Nothing of that call is registered any more: stop it, so a fresh one can take its names.
      call.stop?.();
      calls.delete(key);
    }
  }
  const ctx = contextOf(registry, options);
  const key = signature(ctx, modules);
  const existing = calls.get(key);
  if (existing !== undefined) {
    for (const metric of existing.metrics)
      if (registry.getSingleMetric(metric.name) !== metric) registry.registerMetric(metric);
    return;
  }
  const { metrics, stop } = install(registry, ctx, modules);
  calls.set(key, { metrics, stop });
  if (stop) stopWhenCollected.register(registry, stop);
}

/** The default metrics registered on a registry, every call's. */
function installedMetrics(registry: Registry): Metric[] {
  return [...(installed.get(registry)?.values() ?? [])].flatMap((call) => call.metrics);
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
    for (const metric of installedMetrics(live)) {
      try {
        void Promise.resolve(metric.collect()).catch(() => {});
      } catch {}
    }
  };
  const timer = setInterval(run, intervalMs);
  timer.unref();
  run();
}
