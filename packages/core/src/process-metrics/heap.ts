import { getHeapSpaceStatistics } from 'node:v8';
import { Gauge } from '../metrics/gauge.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

const bytes = { unit: 'bytes' };

/** prom-client's heapSizeAndUsed: V8 heap totals and external memory, one `process.memoryUsage()` per scrape. */
export function heapSizeAndUsed(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const total: Gauge = new Gauge(
    declare(ctx, 'nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', {
      ...bytes,
      collect: () => {
        let usage: NodeJS.MemoryUsage;
        try {
          usage = process.memoryUsage();
        } catch {
          return; // Some platforms throw here (prom-client#67); a scrape must not fail for it.
        }
        total.set(labels, usage.heapTotal);
        used.set(labels, usage.heapUsed);
        external.set(labels, usage.external);
      },
    }),
  );
  const used = new Gauge(
    declare(ctx, 'nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.', bytes),
  );
  const external = new Gauge(
    declare(ctx, 'nodejs_external_memory_bytes', 'Node.js external memory size in bytes.', bytes),
  );
  return { metrics: [total, used, external] };
}

/** prom-client's heapSpacesSizeAndUsed: size, used and available bytes of every V8 heap space. */
export function heapSpacesSizeAndUsed(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const space = (what: string, collect?: () => void) =>
    new Gauge(
      declare(
        ctx,
        `nodejs_heap_space_size_${what}_bytes`,
        `Process heap space size ${what} from Node.js in bytes.`,
        {
          ...bytes,
          labelNames: ['space'],
          ...(collect ? { collect } : {}),
        },
      ),
    );
  const total: Gauge = space('total', () => {
    for (const stats of getHeapSpaceStatistics()) {
      const spaceLabels = { space: stats.space_name.replace(/_space$/, ''), ...labels };
      total.set(spaceLabels, stats.space_size);
      used.set(spaceLabels, stats.space_used_size);
      available.set(spaceLabels, stats.space_available_size);
    }
  });
  const used = space('used');
  const available = space('available');
  return { metrics: [total, used, available] };
}
