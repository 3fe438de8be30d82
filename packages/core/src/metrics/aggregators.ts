import { MetricsError } from '../errors.js';
import type { MetricJSON, MetricValue } from './contracts.js';

/** prom-client's aggregator: the JSON of one metric from several processes, made one (or undefined to omit it). */
export type Aggregator = (metrics: readonly MetricJSON[]) => MetricJSON | undefined;

/** A label set as a key: names sorted, so `{ a, b }` and `{ b, a }` are one series. */
function labelKey(labels: MetricValue['labels']): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((name) => [name, labels[name]]),
  );
}

/**
 * prom-client's `AggregatorFactory`: groups the values of every process by sample name and labels
 * and reduces each group with `reduce`.
 */
export function AggregatorFactory(reduce: (values: readonly MetricValue[]) => number): Aggregator {
  return (metrics) => {
    const first = metrics[0];
    if (first === undefined) return undefined;
    const groups = new Map<string, MetricValue[]>();
    for (const metric of metrics) {
      for (const value of metric.values) {
        const key = `${value.metricName ?? ''}\0${labelKey(value.labels)}`;
        const group = groups.get(key);
        if (group === undefined) groups.set(key, [value]);
        else group.push(value);
      }
    }
    const values: MetricValue[] = [];
    for (const group of groups.values()) {
      const value: MetricValue = { value: reduce(group), labels: group[0]!.labels };
      if (group[0]!.metricName) value.metricName = group[0]!.metricName;
      values.push(value);
    }
    return { name: first.name, help: first.help, type: first.type, values, aggregator: first.aggregator };
  };
}

/** prom-client's `aggregators`: how `AggregatorRegistry.aggregate` combines a metric across processes. */
export const aggregators: Readonly<Record<'sum' | 'first' | 'min' | 'max' | 'average' | 'omit', Aggregator>> =
  Object.freeze({
    sum: AggregatorFactory((v) => v.reduce((total, c) => total + c.value, 0)),
    first: AggregatorFactory((v) => v[0]!.value),
    min: AggregatorFactory((v) => v.reduce((low, c) => Math.min(low, c.value), Number.POSITIVE_INFINITY)),
    max: AggregatorFactory((v) => v.reduce((high, c) => Math.max(high, c.value), Number.NEGATIVE_INFINITY)),
    average: AggregatorFactory((v) => v.reduce((total, c) => total + c.value, 0) / v.length),
    omit: () => undefined,
  });

export function aggregatorNamed(name: string | undefined): Aggregator {
  const aggregator = (aggregators as Record<string, Aggregator>)[name ?? 'sum'];
  if (typeof aggregator !== 'function') {
    throw new MetricsError(
      'INVALID_OPTION',
      `'${name}' is not a defined aggregator: use one of ${Object.keys(aggregators).join(', ')}.`,
    );
  }
  return aggregator;
}
