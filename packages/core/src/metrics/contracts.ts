import type { FamilySnapshot, MetricType } from '../exposition/model.js';
import type { ExpositionWriter } from '../exposition/writer.js';
import type { Store } from '../storage/store.js';
import type { LabelValue } from './labels.js';

/**
 * prom-client's `metric.get()` shape: `metricName` only on samples named other than the family
 * (`_bucket`, `_sum`, `_count`); a histogram's `le` and a summary's `quantile` are numbers
 * (`'+Inf'` for the last bucket).
 */
export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  exemplar?: { labelSet: Record<string, string | number>; value: number; timestamp: number } | null;
}

export interface MetricJSON {
  name: string;
  help: string;
  type: MetricType;
  values: MetricValue[];
  aggregator?: string;
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
   * is the prefix with non-name characters turned into `_` plus `name` (docs/file-format.md#samples-as-labels).
   */
  prefix?: string;
  /**
   * prom-client's `aggregator` (`sum`, `first`, `min`, `max`, `average`, `omit`): how
   * `AggregatorRegistry.aggregate` combines this metric's JSON across processes. Default `sum`.
   * Given for a gauge, it is also how the cluster view combines the gauge's running processes
   * (else one series per process, with a `pid` label).
   */
  aggregator?: string;
  /**
   * @internal One series per process in the cluster view whatever the aggregator: the process
   * metrics, where the worst process must stay visible.
   */
  perProcess?: boolean;
  /**
   * Counters and histograms: keep the latest exemplar per series (per bucket), written in
   * OpenMetrics only. `inc` / `observe` then take prom-client's `{ labels, value, exemplarLabels }`.
   */
  enableExemplars?: boolean;
  /**
   * Label sets this metric keeps (default: its registry's, else 2000); later new ones fold into
   * one series whose labels are all `__overflow__`. `Infinity` for no limit.
   */
  cardinalityLimit?: number;
}

export type LabelValues<L extends string> = Partial<Record<L, LabelValue>>;

/** What a metric needs of a registry, so that two copies of core interoperate. */
export interface RegistryLike {
  readonly store: Store;
  /** Default label-set limit of the metrics that join it first. */
  readonly cardinalityLimit?: number;
  registerMetric(metric: RegisteredMetric): void;
  assertCanRegister(metric: RegisteredMetric): void;
}

/** What a registry needs of a metric it holds, so that it depends on no metric class. */
export interface RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  sampleNames(): string[];
  /** Recordings whose label set was refused because the metric was at its cardinality limit. */
  readonly refusedLabelSets?: number;
  collect(): void | Promise<void>;
  render(writer: ExpositionWriter, om: boolean): void;
  /** Rendering in slices (absent on metrics of other copies of core, which render whole). */
  seriesForRender?(): readonly unknown[];
  renderPart?(
    writer: ExpositionWriter,
    om: boolean,
    list: readonly unknown[],
    from: number,
    to: number,
  ): void;
  samplesPart?(list: readonly unknown[], from: number, to: number, out: FamilySnapshot['samples']): void;
  get(): MetricJSON | Promise<MetricJSON>;
  snapshot(): FamilySnapshot;
  reset(): void;
}
