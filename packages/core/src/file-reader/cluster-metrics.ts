import { dirname } from 'node:path';
import type { FamilySnapshot } from '../exposition/model.js';
import { type ExpositionFormat, renderExposition } from '../exposition/render.js';
import type { Registry } from '../metrics/registry.js';
import { filesToFamilies } from './aggregate.js';
import { type AppFiles, readAppFiles } from './app-files.js';
import { foldIntoArchive } from './archive.js';
import { appOf } from './file-identity.js';
import { readMmstatsFile } from './reader.js';

/**
 * The metric families of one app in `directory`: counters and histograms summed over its running
 * processes, those that are gone and its archive, so totals never go backwards; gauges of the
 * running processes only, one series each with a `pid` label. Files of dead processes are folded
 * into the archive first (unless another process is folding right now), which keeps the
 * directory bounded however often processes restart.
 */
export function appFamilies(
  directory: string,
  app: string,
  options: { fold?: boolean } = {},
): FamilySnapshot[] {
  let files = readAppFiles(directory, app);
  if (options.fold !== false && (files.dead.length > 0 || files.folded.length > 0)) {
    if (!foldIntoArchive(directory, app).locked) files = readAppFiles(directory, app);
  }
  return familiesOf(files);
}

function familiesOf(files: AppFiles): FamilySnapshot[] {
  const live = new Set(files.live);
  const all = [...files.live, ...files.dead];
  if (files.archive !== undefined) all.push(files.archive);
  return filesToFamilies(all, { gaugesOf: (file) => live.has(file) });
}

/**
 * What `/metrics` serves in a Node cluster or PM2 worker: `appFamilies` of this process' app in
 * the directory of its file (docs/file-format.md#dead-processes). Falls back to the registry alone
 * when it keeps no files (storage off or failed).
 */
export function clusterMetrics(registry: Registry): Pick<Registry, 'metrics'> {
  let app: string | undefined;
  return {
    async metrics(format: ExpositionFormat = 'text'): Promise<string> {
      const own = registry.storageFiles[0];
      if (own === undefined) return registry.metrics(format);
      // Collect callbacks (process metrics) and histogram publishing put this worker's values in its file.
      await Promise.all(registry.getMetricsAsArray().map((metric) => metric.collect()));
      // Readers need our latest values in the file, not on disk: no msync per scrape.
      registry.store.flush();
      if (app === undefined) {
        const file = readMmstatsFile(own);
        app = file.ok ? appOf(file) : undefined;
        if (app === undefined) return registry.metrics(format);
      }
      return renderExposition(appFamilies(dirname(own), app), format);
    },
  };
}
