/**
 * `@mmstats/core`: the prom-client-like API. HTTP accounting for adapters is in
 * `@mmstats/core/http`, the mmstats file reader in `@mmstats/core/files`, typed fields in
 * `@mmstats/core/fields`.
 */
export { isMetricsError, MetricsError, type MetricsErrorCode } from './errors.js';
export type { FamilySnapshot, MetricType, Sample } from './exposition/model.js';
export type { ExpositionFormat } from './exposition/render.js';
export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition/render.js';
export { AggregatorRegistry } from './file-reader/aggregator-registry.js';
export { clusterMetrics } from './file-reader/cluster-metrics.js';
export {
  Pushgateway,
  type PushgatewayOptions,
  type PushOptions,
  type PushResult,
} from './http/pushgateway.js';
export { type Aggregator, AggregatorFactory, aggregators } from './metrics/aggregators.js';
export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from './metrics/buckets.js';
export type { Collector, PromClientJSON } from './metrics/collector.js';
export type { MetricConfiguration, MetricJSON, MetricValue, RegistryLike } from './metrics/contracts.js';
export { Counter, type CounterChild } from './metrics/counter.js';
export { Gauge, type GaugeChild } from './metrics/gauge.js';
export { Histogram, type HistogramChild, type HistogramConfiguration } from './metrics/histogram.js';
export type { Labels, LabelValue } from './metrics/labels.js';
export type { Metric } from './metrics/metric.js';
export {
  defaultRegistry,
  type MetricClass,
  Registry,
  type RegistryContentType,
  type RegistryOptions,
} from './metrics/registry.js';
export { Summary, type SummaryChild, type SummaryConfiguration } from './metrics/summary.js';
export { isValidMetricName as validateMetricName } from './metrics/validation.js';
export {
  collectDefaultMetrics,
  type DefaultMetricsOptions,
  defaultMetrics,
} from './process-metrics/collect.js';
export type { DefaultMetricModule } from './process-metrics/modules.js';
export type { StorageOptions } from './storage/create-store.js';
export type { StorageBackend } from './storage/store.js';

import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './exposition/render.js';
import { defaultRegistry } from './metrics/registry.js';

/** prom-client's name for the default registry. */
export const register = defaultRegistry();
/** prom-client's names for the two content types. */
export const prometheusContentType = PROMETHEUS_CONTENT_TYPE;
export const openMetricsContentType = OPENMETRICS_CONTENT_TYPE;

import { archiveAtExit } from './file-reader/archive.js';
import { setExitArchiver } from './storage/exit.js';

// Cluster and PM2 workers hand their files to their app's archive when they end.
setExitArchiver(archiveAtExit);
