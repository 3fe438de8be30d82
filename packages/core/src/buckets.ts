import { MetricsError } from './errors.js';

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

/** A bucket bound as a Go float: "1.0", "0.005", "+Inf" (what Prometheus 3 stores for `le`). */
export function formatBound(bound: number): string {
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  if (Number.isInteger(bound) && Math.abs(bound) < 1e21) return `${bound}.0`;
  return String(bound);
}
