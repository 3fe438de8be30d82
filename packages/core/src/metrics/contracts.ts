import type { FamilySnapshot, MetricType } from '../exposition/model.js';
import type { ExpositionWriter } from '../exposition/writer.js';
import type { Store } from '../storage/store.js';
import type { LabelValue } from './labels.js';

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
   * is the prefix with non-name characters turned into `_` plus `name` (docs/file-format.md#samples-as-labels).
   */
  prefix?: string;
}

export type LabelValues<L extends string> = Partial<Record<L, LabelValue>>;

/** What a metric needs of a registry, so that two copies of core interoperate. */
export interface RegistryLike {
  readonly store: Store;
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
  collect(): void | Promise<void>;
  render(writer: ExpositionWriter, om: boolean): void;
  get(): MetricJSON;
  snapshot(): FamilySnapshot;
  reset(): void;
}
