import { performance } from 'node:perf_hooks';
import { Gauge } from '../metrics/gauge.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/** Start time and Node.js version, set at every scrape so they survive `resetMetrics()`. */
export function processInfoMetrics(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  // timeOrigin is when this process started, in ms since the epoch (Node.js perf_hooks docs).
  const started = performance.timeOrigin / 1000;
  const startTime: Gauge = new Gauge(
    declare(ctx, 'process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', {
      unit: 'seconds',
      collect: () => startTime.set(labels, started),
    }),
  );
  const [major = '', minor = '', patch = ''] = process.version.slice(1).split('.');
  const versionLabels = { version: process.version, major, minor, patch, ...labels };
  const version: Gauge = new Gauge(
    declare(ctx, 'nodejs_version_info', 'Node.js version info.', {
      labelNames: ['version', 'major', 'minor', 'patch'],
      collect: () => version.set(versionLabels, 1),
    }),
  );
  return { metrics: [startTime, version] };
}
