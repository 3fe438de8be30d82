import { performance } from 'node:perf_hooks';
import { Gauge } from '../metrics/gauge.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/** prom-client's processStartTime, set at every scrape so it survives `resetMetrics()`. */
export function processStartTime(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  // timeOrigin is when this process started, in ms since the epoch (Node.js perf_hooks docs).
  const started = performance.timeOrigin / 1000;
  const startTime: Gauge = new Gauge(
    declare(ctx, 'process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', {
      unit: 'seconds',
      aggregator: 'omit',
      collect: () => startTime.set(labels, started),
    }),
  );
  return { metrics: [startTime] };
}

/** prom-client's version: `nodejs_version_info`, value 1, set at every scrape. */
export function version(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const [major = '', minor = '', patch = ''] = process.version.slice(1).split('.');
  const versionLabels = { version: process.version, major, minor, patch, ...labels };
  const version: Gauge = new Gauge(
    declare(ctx, 'nodejs_version_info', 'Node.js version info.', {
      labelNames: ['version', 'major', 'minor', 'patch'],
      aggregator: 'first',
      collect: () => version.set(versionLabels, 1),
    }),
  );
  return { metrics: [version] };
}
