import type { LabelValue } from './labels.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'untyped';

/** One sample ready to print: `suffix` is added to the family name, `labels` are escaped pairs. */
export interface Sample {
  suffix: string;
  labels: string;
  value: number;
}

/** A metric family as the exposition sees it: everything needed, nothing to look up. */
export interface FamilySnapshot {
  name: string;
  help: string;
  type: MetricType;
  unit: string;
  samples: Sample[];
}

/** prom-client's `metric.get()` shape. */
export interface MetricValue {
  labels: Record<string, string>;
  value: number;
  metricName: string;
}

export interface MetricJSON {
  name: string;
  help: string;
  type: MetricType;
  values: MetricValue[];
}

/** Options shared by Counter, Gauge and Histogram (prom-client's names). */
export interface MetricConfiguration<L extends string = string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Registries to register with; defaults to the default registry. `[]` registers nowhere. */
  registers?: readonly RegistryLike[];
  /** Called before each scrape to compute values; may be async. */
  collect?: (this: never) => void | Promise<void>;
  /** Base unit, for OpenMetrics `# UNIT`; the name must end with `_<unit>`. */
  unit?: string;
  /**
   * mmstats label prefix such as `web.stats.`: field labels start with it and the Prometheus name
   * is the prefix with non-name characters turned into `_` plus `name` (section 14.1).
   */
  prefix?: string;
}

export type LabelValues<L extends string> = Partial<Record<L, LabelValue>>;

/** What a metric needs of a registry, so that two copies of core interoperate. */
export interface RegistryLike {
  readonly store: import('./storage/store.js').Store;
  registerMetric(metric: import('./metric.js').Metric): void;
  assertCanRegister(metric: import('./metric.js').Metric): void;
}
