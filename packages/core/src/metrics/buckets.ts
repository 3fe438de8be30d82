import { MetricsError } from '../errors.js';

/**
 * OpenTelemetry's advisory buckets for `http.server.request.duration`, in seconds:
 * https://opentelemetry.io/docs/specs/semconv/http/http-metrics/#metric-httpserverrequestduration
 */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!(count >= 1) || !Number.isInteger(count) || !(width > 0) || !Number.isFinite(start)) {
    throw new MetricsError(
      'INVALID_BUCKETS',
      `linearBuckets(${start}, ${width}, ${count}): need a finite start, width > 0 and a whole count >= 1.`,
    );
  }
  return Array.from({ length: count }, (_, i) => start + i * width);
}

export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(start > 0) || !(factor > 1) || !(count >= 1) || !Number.isInteger(count)) {
    throw new MetricsError(
      'INVALID_BUCKETS',
      `exponentialBuckets(${start}, ${factor}, ${count}): need start > 0, factor > 1 and a whole count >= 1.`,
    );
  }
  return Array.from({ length: count }, (_, i) => start * factor ** i);
}

/** Sorted finite upper bounds; +Inf is implicit and added by the histogram. */
export function validateBuckets(metric: string, buckets: readonly number[] | undefined): number[] {
  const list = buckets === undefined ? [...DEFAULT_BUCKETS] : [...buckets];
  if (list.length > 0 && list[list.length - 1] === Number.POSITIVE_INFINITY) list.pop();
  if (list.length === 0)
    throw new MetricsError(
      'INVALID_BUCKETS',
      `${metric}: buckets must hold at least one finite upper bound.`,
    );
  for (let i = 0; i < list.length; i++) {
    const b = list[i];
    if (typeof b !== 'number' || !Number.isFinite(b)) {
      throw new MetricsError(
        'INVALID_BUCKETS',
        `${metric}: bucket ${String(b)} is not a finite number. +Inf is added for you.`,
      );
    }
    if (i > 0 && b <= list[i - 1]!) {
      throw new MetricsError(
        'INVALID_BUCKETS',
        `${metric}: buckets must increase strictly, but ${b} follows ${list[i - 1]}. Sort them and drop duplicates.`,
      );
    }
  }
  return list;
}

/**
 * A bucket bound in the canonical form of OpenMetrics (Go's `%g` plus ".0" when it would read as
 * an integer): "0.005", "1.0", "1e+06", "1e-05", "+Inf". Prometheus 3 rewrites `le` to exactly
 * this, so our files and scrapes carry the value it stores.
 * https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md#considerations-canonical-numbers
 */
export function formatBound(bound: number): string {
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  if (bound === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(bound)) return 'NaN';
  // toExponential() gives the shortest round-trip digits, as Go's strconv does.
  const [mantissa = '0', exp = '0'] = bound.toExponential().split('e');
  const e = Number(exp);
  // Go's shortest %g switches to exponent notation below 1e-4 and from 1e6 (strconv/ftoa.go).
  if (e < -4 || e >= 6) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  const fixed = String(bound);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}
