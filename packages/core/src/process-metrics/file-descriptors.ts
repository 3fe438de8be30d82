import { readdirSync, readFileSync } from 'node:fs';
import { Gauge } from '../metrics/gauge.js';
import type { Metric } from '../metrics/metric.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/** The soft limit on open files from /proc/self/limits; undefined without procfs or when unlimited. */
function maxOpenFiles(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Entries of /proc/self/fd, minus the descriptor readdir itself held open; undefined without procfs. */
function openFiles(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/** prom-client's processOpenFileDescriptors, from Linux procfs; nothing elsewhere. */
export function processOpenFileDescriptors(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const metrics: Metric[] = [];
  if (openFiles() !== undefined) {
    const open: Gauge = new Gauge(
      declare(ctx, 'process_open_fds', 'Number of open file descriptors.', {
        collect: () => {
          const count = openFiles();
          if (count !== undefined) open.set(labels, count);
        },
      }),
    );
    metrics.push(open);
  }
  return { metrics };
}

/** prom-client's processMaxFileDescriptors: the soft limit, from Linux procfs; nothing elsewhere. */
export function processMaxFileDescriptors(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const metrics: Metric[] = [];
  const limit = maxOpenFiles();
  if (limit !== undefined) {
    const max: Gauge = new Gauge(
      declare(ctx, 'process_max_fds', 'Maximum number of open file descriptors.', {
        collect: () => max.set(labels, limit),
      }),
    );
    metrics.push(max);
  }
  return { metrics };
}
