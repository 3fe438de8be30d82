import { readFileSync } from 'node:fs';
import { Gauge } from '../metrics/gauge.js';
import type { DefaultMetricsContext, DefaultMetricsGroup } from './context.js';
import { declare } from './context.js';

/** Sizes from /proc/self/status in bytes (its "kB" are KiB), or null without procfs. */
function readStatus(): Map<string, number> | null {
  let text: string;
  try {
    // procfs answers from kernel memory and never blocks, so a sync read is fine at scrape time.
    text = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return null;
  }
  const sizes = new Map<string, number>();
  for (const match of text.matchAll(/^(Vm\w+):\s+(\d+) kB$/gm)) sizes.set(match[1]!, Number(match[2]) * 1024);
  return sizes;
}

function residentBytes(): number | undefined {
  try {
    return process.memoryUsage.rss();
  } catch {
    return undefined;
  }
}

/** Resident, virtual and data-segment sizes; only the resident size where there is no procfs. */
export function osMemoryHeap(ctx: DefaultMetricsContext): DefaultMetricsGroup {
  const labels = ctx.labels;
  const bytes = { unit: 'bytes' };
  let virtual: Gauge | undefined;
  let heap: Gauge | undefined;
  const resident: Gauge = new Gauge(
    declare(ctx, 'process_resident_memory_bytes', 'Resident memory size in bytes.', {
      ...bytes,
      collect: () => {
        const status = virtual === undefined ? null : readStatus();
        const rss = status?.get('VmRSS') ?? residentBytes();
        if (rss !== undefined) resident.set(labels, rss);
        const size = status?.get('VmSize');
        if (size !== undefined) virtual?.set(labels, size);
        const data = status?.get('VmData');
        if (data !== undefined) heap?.set(labels, data);
      },
    }),
  );
  if (readStatus() === null) return { metrics: [resident] };
  virtual = new Gauge(declare(ctx, 'process_virtual_memory_bytes', 'Virtual memory size in bytes.', bytes));
  heap = new Gauge(declare(ctx, 'process_heap_bytes', 'Process heap size in bytes.', bytes));
  return { metrics: [resident, virtual, heap] };
}
