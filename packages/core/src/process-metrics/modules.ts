import { processHandles, processRequests, processResources } from './active-resources.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { processCpuTotal } from './cpu.js';
import { eventLoopLag } from './event-loop.js';
import { processMaxFileDescriptors, processOpenFileDescriptors } from './file-descriptors.js';
import { gc } from './gc.js';
import { heapSizeAndUsed, heapSpacesSizeAndUsed } from './heap.js';
import { osMemoryHeap } from './memory.js';
import { processStartTime, version } from './process-info.js';

/**
 * The default metrics by prom-client's module names (lib/metrics/*.js), in its order: what
 * `collectDefaultMetrics.metricsList` lists and what `defaultMetrics[name]` registers alone.
 */
export const DEFAULT_METRIC_MODULES = {
  processCpuTotal,
  processStartTime,
  osMemoryHeap,
  processOpenFileDescriptors,
  processMaxFileDescriptors,
  eventLoopLag,
  ...(typeof process.getActiveResourcesInfo === 'function' ? { processResources } : {}),
  processHandles,
  processRequests,
  heapSizeAndUsed,
  heapSpacesSizeAndUsed,
  version,
  gc,
} as const satisfies Record<string, (ctx: DefaultMetricsContext) => DefaultMetricsGroup>;

export type DefaultMetricModule = keyof typeof DEFAULT_METRIC_MODULES;
