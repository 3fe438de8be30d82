import type { MetricConfiguration } from '../metrics/contracts.js';
import type { Labels } from '../metrics/labels.js';
import type { Metric } from '../metrics/metric.js';
import type { Registry } from '../metrics/registry.js';

/** What every default metric shares: where it registers, its name prefix and constant labels. */
export interface DefaultMetricsContext {
  readonly registers: readonly Registry[];
  readonly prefix: string;
  /** The `labels` option, copied and frozen: added to every series. */
  readonly labels: Readonly<Labels>;
  readonly eventLoopMonitoringPrecision: number;
  /** Which names the totals of active handles, requests and resources get (see DefaultMetricsOptions). */
  readonly names?: 'prom-client' | 'promtool';
  readonly gcDurationBuckets: readonly number[] | undefined;
}

/** A group of default metrics, and how to stop whatever observes the runtime for them. */
export interface DefaultMetricsGroup {
  readonly metrics: readonly Metric[];
  readonly stop?: () => void;
}

interface Extra {
  unit?: string;
  /** Labels of the metric itself, before the constant ones. */
  labelNames?: readonly string[];
  collect?: () => void;
  /** prom-client's aggregator for this metric (AggregatorRegistry.aggregate). */
  aggregator?: 'first' | 'min' | 'max' | 'average' | 'omit';
}

/** The configuration of one default metric: prom-client's name and help, our unit. */
export function declare(
  ctx: DefaultMetricsContext,
  name: string,
  help: string,
  extra: Extra = {},
): MetricConfiguration {
  return {
    name,
    help,
    prefix: ctx.prefix,
    registers: ctx.registers,
    labelNames: [...(extra.labelNames ?? []), ...Object.keys(ctx.labels)],
    ...(extra.unit === undefined ? {} : { unit: extra.unit }),
    ...(extra.collect === undefined ? {} : { collect: extra.collect }),
    ...(extra.aggregator === undefined ? {} : { aggregator: extra.aggregator }),
    perProcess: true,
  };
}
