export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from './buckets.js';
export { clusterMetrics } from './cluster-metrics.js';
export { Counter, CounterChild } from './counter.js';
export { isMetricsError, MetricsError, type MetricsErrorCode } from './errors.js';
export {
  contentTypeOf,
  type ExpositionFormat,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  renderExposition,
} from './exposition.js';
export { Gauge, GaugeChild } from './gauge.js';
export { Histogram, HistogramChild, type HistogramConfiguration } from './histogram.js';
export { type HttpInstrumentation, instrumentHttp } from './http-instrumentation.js';
export { CLIENT_CLOSED_REQUEST, HttpMetrics, type SizedMessages } from './http-metrics.js';
export {
  type CustomLabels,
  DEFAULT_SIZE_BUCKETS,
  DEFAULT_UNMATCHED_ROUTE,
  type HttpMetricsOptions,
  type MetricsAuth,
  type ResolvedHttpOptions,
  resolveHttpOptions,
  type SizeHistogramOption,
} from './http-options.js';
export type { Labels, LabelValue } from './labels.js';
export { Metric } from './metric.js';
export {
  createMetricsEndpoint,
  type MetricsEndpointOptions,
  type MetricsRequest,
  type MetricsResponse,
} from './metrics-endpoint.js';
export { type MetricsServer, type MetricsServerOptions, startMetricsServer } from './metrics-server.js';
export { type FilesToFamiliesOptions, filesToFamilies, renderMmstatsFiles } from './mmstats/aggregate.js';
export {
  type MmstatsDirectory,
  type MmstatsDiscoverOptions,
  type MmstatsSkippedFile,
  readMmstatsDirectory,
} from './mmstats/discover.js';
export {
  type MmstatsField,
  type MmstatsFile,
  type MmstatsReadFailure,
  type MmstatsReadOptions,
  type MmstatsReadResult,
  readMmstatsFile,
} from './mmstats/reader.js';
export { type Negotiated, negotiate } from './negotiation.js';
export { collectDefaultMetrics, type DefaultMetricsOptions } from './process-metrics.js';
export { Pushgateway, type PushgatewayOptions, type PushOptions } from './pushgateway.js';
export { defaultRegistry, type MetricClass, Registry, type RegistryOptions } from './registry.js';
export type { ResponseDone, ResponseSlot, ResponseTracker } from './response-tracker.js';
export type { MmAverage, MmMovingAverage, MovingAverageFieldOptions } from './seed/averages.js';
export type { MmCounter } from './seed/counter.js';
export { field } from './seed/field.js';
export type { FieldOptions, FieldSpec } from './seed/field-spec.js';
export type { FieldMap, MmStatsOptions } from './seed/options.js';
export type { BoolFieldOptions, NumberFieldOptions } from './seed/scalar-fields.js';
export type { StaticFieldOptions } from './seed/static-fields.js';
export { createMmStats, type MmStats, type MmStatsFields, type MmStatsFile } from './seed/stats.js';
export type { StaticTextFieldOptions, StringFieldOptions } from './seed/text.js';
export type { MmTimer, MmTimerContext, TimerFieldOptions } from './seed/timer.js';
export type { StorageOptions } from './storage/create-store.js';
export type { StorageBackend } from './storage/store.js';
export type {
  FamilySnapshot,
  MetricConfiguration,
  MetricJSON,
  MetricType,
  MetricValue,
  RegistryLike,
  Sample,
} from './types.js';

import { defaultRegistry } from './registry.js';

/** prom-client's name for the default registry. */
export const register = defaultRegistry();
