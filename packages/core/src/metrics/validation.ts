import { MetricsError } from '../errors.js';

// Prometheus data model: https://prometheus.io/docs/concepts/data_model/#metric-names-and-labels
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function validateMetricName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    throw new MetricsError(
      'INVALID_NAME',
      `Invalid metric name: ${JSON.stringify(name)}. Use letters, digits, '_' and ':' only, not starting with a digit (for example "http_requests_total").`,
    );
  }
}

export function validateLabelNames(
  metric: string,
  labelNames: unknown,
  extraReserved: readonly string[] = [],
): string[] {
  if (labelNames === undefined) return [];
  if (!Array.isArray(labelNames)) {
    throw new MetricsError(
      'INVALID_LABEL_NAME',
      `labelNames of ${metric} must be an array of strings, got ${typeof labelNames}.`,
    );
  }
  const seen = new Set<string>();
  for (const label of labelNames) {
    if (typeof label !== 'string' || !LABEL_NAME.test(label)) {
      throw new MetricsError(
        'INVALID_LABEL_NAME',
        `Invalid label name ${JSON.stringify(label)} on ${metric}. Use letters, digits and '_' only, not starting with a digit.`,
      );
    }
    if (label.startsWith('__')) {
      throw new MetricsError(
        'RESERVED_LABEL',
        `Label name "${label}" on ${metric} is reserved: names starting with "__" belong to Prometheus. Rename it.`,
      );
    }
    if (extraReserved.includes(label)) {
      throw new MetricsError(
        'RESERVED_LABEL',
        `Label name "${label}" is reserved on ${metric}: Prometheus uses it for buckets or quantiles. Rename it.`,
      );
    }
    if (seen.has(label)) {
      throw new MetricsError(
        'INVALID_LABEL_NAME',
        `Label name "${label}" appears twice in labelNames of ${metric}. List each label once.`,
      );
    }
    seen.add(label);
  }
  return [...labelNames] as string[];
}

export function validateHelp(metric: string, help: unknown): string {
  // A blank help text reads back as none (the text format drops leading blanks), which promtool flags.
  if (typeof help !== 'string' || help.trim() === '') {
    throw new MetricsError(
      'MISSING_HELP',
      `Metric ${metric} needs a help text, got ${JSON.stringify(help)}: pass { help: 'what it counts' }.`,
    );
  }
  return help.toWellFormed();
}

export function invalidValue(metric: string, what: string, value: unknown, fix: string): MetricsError {
  return new MetricsError('INVALID_VALUE', `${metric}: ${what} ${String(value)}. ${fix}`);
}

/** The mmstats label prefix turned into a Prometheus name prefix (docs/file-format.md#samples-as-labels). */
export function sanitizePrefix(prefix: string): string {
  return prefix.replace(/[^a-zA-Z0-9_:]/g, '_');
}
