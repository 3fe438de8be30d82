import { MetricsError } from '../errors.js';
import { aggregatorNamed } from '../metrics/aggregators.js';
import type { MetricJSON } from '../metrics/contracts.js';
import { defaultRegistry, Registry, type RegistryContentType } from '../metrics/registry.js';
import { clusterMetrics } from './cluster-metrics.js';

/** The field that gives a primary without metrics a file of its own. */
const READER_FIELD = 'mmstats.cluster.reader';

/**
 * prom-client's `AggregatorRegistry`, served from the mmstats files instead of IPC: every process
 * of the program writes its values to its own file, so `clusterMetrics()` reads them wherever it
 * is called, in the primary or in any worker, without messages to the workers, and totals keep
 * the counts of workers that have exited. It renders what `clusterMetrics(registry)` does.
 */
export class AggregatorRegistry extends Registry {
  constructor(contentType: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE) {
    super({ contentType });
  }

  /**
   * The whole program's metrics: counters, histograms and summaries' `_sum`/`_count` summed over
   * every process's file, gauges one series per running process with a `pid` label.
   */
  async clusterMetrics(): Promise<string> {
    // The files are found next to this process' own; the registry that has metrics (this one, or
    // the default one workers record into) names it. A primary that records nothing gets a file
    // holding one string field, which no exposition shows, so that it can find its workers' files.
    const locator = this.getMetricsAsArray().length > 0 ? this : defaultRegistry();
    if (locator.storageFiles.length === 0) locator.store.staticString(READER_FIELD, 'AggregatorRegistry');
    const format = this.contentType === Registry.OPENMETRICS_CONTENT_TYPE ? 'openmetrics' : 'text';
    return clusterMetrics(locator).metrics(format);
  }

  /**
   * prom-client's offline aggregation: `getMetricsAsJSON()` results of several processes, combined
   * per metric with its `aggregator` (`sum` unless the metric says otherwise), as a new registry.
   */
  static aggregate(
    metricsArr: readonly (readonly MetricJSON[])[],
    registryType: RegistryContentType = Registry.PROMETHEUS_CONTENT_TYPE,
  ): Registry {
    const registry = new Registry({ storage: false, contentType: registryType });
    const byName = new Map<string, MetricJSON[]>();
    for (const metrics of metricsArr) {
      for (const metric of metrics) {
        const group = byName.get(metric.name);
        if (group === undefined) byName.set(metric.name, [metric]);
        else group.push(metric);
      }
    }
    for (const group of byName.values()) {
      const aggregated = aggregatorNamed(group[0]!.aggregator)(group);
      if (aggregated !== undefined) registry.registerMetric({ ...aggregated, get: () => aggregated });
    }
    return registry;
  }

  /**
   * prom-client workers name here the registries they report. Here every registry that keeps
   * files is in them already; the call only checks its argument.
   */
  static setRegistries(registries: Registry | readonly Registry[]): void {
    for (const registry of Array.isArray(registries) ? registries : [registries]) {
      if (typeof (registry as Registry | null)?.metrics !== 'function') {
        throw new MetricsError(
          'INVALID_OPTION',
          `AggregatorRegistry.setRegistries() expects registries, got ${typeof registry}.`,
        );
      }
    }
  }
}
