import { basename, dirname, join } from 'node:path';
import type { ExpositionFormat } from '../exposition/render.js';
import type { Registry } from '../metrics/registry.js';
import { renderMmstatsFiles } from './aggregate.js';

/**
 * The files of every process of this program: this process' own file name with its PID part
 * turned into a wildcard (`mmstats-server-*.mmstats` for `mmstats-server-4242-4242.mmstats`),
 * so other programs writing to the same directory are left out. A file name without the PID
 * (a custom MMSTATS_FILES) means the whole directory.
 */
export function siblingPattern(ownFile: string, pid: number = process.pid): string {
  // Glob characters in the directory or the name stand for themselves: `[*]` matches `*`.
  const literal = (text: string) => text.replace(/[[\]?*]/g, '[$&]');
  const name = basename(ownFile);
  const at = name.indexOf(`-${pid}-`);
  const glob = at < 0 ? '*.mmstats' : `${literal(name.slice(0, at))}-*.mmstats`;
  return join(literal(dirname(ownFile)), glob);
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * What `/metrics` serves in a Node cluster or PM2 worker: counters and histograms summed over the
 * mmstats files of every worker of the program, dead ones included, so totals survive restarts
 * (docs/file-format.md#dead-processes); gauges only of live workers, one series each with a `pid`
 * label. Falls back to the registry alone when it keeps no files (storage off or failed).
 */
export function clusterMetrics(registry: Registry): Pick<Registry, 'metrics'> {
  return {
    async metrics(format: ExpositionFormat = 'text'): Promise<string> {
      const own = registry.storageFiles[0];
      if (own === undefined) return registry.metrics(format);
      // Collect callbacks (process metrics) and histogram publishing put this worker's values in its file.
      await Promise.all(registry.getMetricsAsArray().map((metric) => metric.collect()));
      registry.sync();
      return renderMmstatsFiles(siblingPattern(own), format, { gaugesOf: (file) => alive(file.pid) });
    },
  };
}
