export { DEFAULT_BUCKETS, exponentialBuckets, linearBuckets } from './buckets.js';
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
export type { Labels, LabelValue } from './labels.js';
export { Metric } from './metric.js';
export { type Negotiated, negotiate } from './negotiation.js';
export { Pushgateway, type PushgatewayOptions, type PushOptions } from './pushgateway.js';
export { defaultRegistry, type MetricClass, Registry, type RegistryOptions } from './registry.js';
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
