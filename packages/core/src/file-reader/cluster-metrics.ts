import { basename, dirname, join, resolve } from 'node:path';
import type { FamilySnapshot, Sample } from '../exposition/model.js';
import type { ExpositionFormat } from '../exposition/render.js';
import { renderExpositionInSlices } from '../exposition/render-slices.js';
import { SLICE_ITEMS, Slicer } from '../exposition/slicer.js';
import { DEFAULT_LABELS_FIELD } from '../metrics/default-labels.js';
import type { Registry } from '../metrics/registry.js';
import { fileName, threadIdentifier } from '../storage/file-names.js';
import { filesToFamilies, filesToFamiliesInSlices, PlacementCache } from './aggregate.js';
import { type AppFiles, readAppFiles } from './app-files.js';
import { foldIntoArchive } from './archive.js';
import { findMmstatsFiles } from './discover.js';
import { writerLiveness } from './liveness.js';
import { type MmstatsField, type MmstatsFile, readMmstatsFile } from './reader.js';

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
  const files = appFiles(directory, app, options.fold !== false);
  const live = new Set(files.live);
  return filesToFamilies(allOf(files), { gaugesOf: (file) => live.has(file) });
}

/** The app's files, dead ones folded into the archive first when `fold` (and nobody else folds). */
function appFiles(directory: string, app: string, fold: boolean, skip?: ReadonlySet<string>): AppFiles {
  const files = readAppFiles(directory, app, {}, skip);
  if (!fold || (files.dead.length === 0 && files.folded.length === 0)) return files;
  return foldIntoArchive(directory, app).locked ? files : readAppFiles(directory, app, {}, skip);
}

function allOf(files: AppFiles): MmstatsFile[] {
  const all = [...files.live, ...files.dead];
  if (files.archive !== undefined) all.push(files.archive);
  return all;
}

/** This registry's app: what its store writes into its files as `mmstats.app`. */
function appOfRegistry(registry: Registry): string | undefined {
  return (registry.store as { app?: string }).app;
}

/** Per-file bounds of the cluster view: a huge or slow file is skipped (counted), not waited for. */
export const CLUSTER_MAX_FILE_BYTES = 16 * 1024 * 1024;
export const CLUSTER_MAX_FILE_MILLISECONDS = 250;

/**
 * This registry's values as a file would hold them, read from memory: what the process counted is
 * served whatever happened to its file (deleted with its directory, replaced, never made because
 * the disk was full or read-only, or behind on a failed write).
 */
async function liveFile(
  registry: Registry,
  slicer: Slicer,
  labelsOf: WeakMap<object, string[]>,
): Promise<MmstatsFile> {
  const fields: MmstatsField[] = [{ label: 'sys.pid', sig: 'I', value: process.pid, buffered: false }];
  const tid = threadIdentifier();
  if (tid !== process.pid) fields.push({ label: 'sys.tid', sig: 'I', value: tid, buffered: false });
  const defaults = JSON.stringify(registry.defaultLabelValues);
  if (defaults !== '{}')
    fields.push({ label: DEFAULT_LABELS_FIELD, sig: 's', value: defaults, buffered: false });
  for (const metric of registry.getMetricsAsArray()) {
    const unit = (metric as { unit?: string }).unit ?? '';
    const meta =
      (metric as { fileMeta?: () => string }).fileMeta?.() ??
      JSON.stringify({ type: metric.type, help: metric.help, unit });
    fields.push({ label: `mmstats.meta.${metric.name}`, sig: 's', value: meta, buffered: false });
    const labelOf = (sample: Sample) => {
      const name = metric.name + sample.suffix;
      return sample.labels === '' ? name : `${name}{${sample.labels}}`;
    };
    if (metric.seriesForRender === undefined || metric.samplesPart === undefined) {
      for (const sample of metric.snapshot().samples)
        fields.push({ label: labelOf(sample), sig: 'd', value: sample.value, buffered: true });
      continue;
    }
    const list = metric.seriesForRender();
    const samples: Sample[] = [];
    for (let i = 0; i < list.length; i++) {
      const series = list[i] as object;
      samples.length = 0;
      metric.samplesPart(list, i, i + 1, samples);
      // A series' field labels are the same at every scrape: made once, and the placement cache
      // then finds them by the same string.
      let labels = labelsOf.get(series);
      if (labels === undefined || labels.length !== samples.length) {
        labels = samples.map(labelOf);
        labelsOf.set(series, labels);
      }
      for (let k = 0; k < samples.length; k++)
        fields.push({ label: labels[k]!, sig: 'd', value: samples[k]!.value, buffered: true });
      if (slicer.due()) await slicer.pause();
    }
  }
  return { ok: true, path: '(this process, from memory)', pid: process.pid, fields, warnings: [] };
}

/** The sibling glob of a registry: from its file, else from the name its file would have had. */
function patternOf(registry: Registry): string | undefined {
  const own = registry.storageFiles[0];
  if (own !== undefined) return siblingPattern(own);
  const directory = registry.store.directory;
  return directory === undefined ? undefined : siblingPattern(join(directory, fileName()));
}

/**
 * What `/metrics` serves in a Node cluster or PM2 worker: counters and histograms summed over the
 * mmstats files of every worker of the program, dead ones included, so totals survive restarts
 * (docs/file-format.md#dead-processes); gauges only of live workers, one series each with a `pid`
 * label. This process's own values come from its memory, never from its file, and the files of
 * the others are added when they can be read: a file that cannot (gone, corrupt, over the
 * bounds above) is left out and counted in `mmstats_cluster_files_skipped`. Built in slices, so
 * the event loop keeps serving meanwhile. Without a storage directory (storage off) it serves the
 * registry alone.
 */
export function clusterMetrics(registry: Registry): Pick<Registry, 'metrics' | 'renderInSlices'> {
  let warned = false;
  const placements = new PlacementCache();
  const labelsOf = new WeakMap<object, string[]>();
  const view = {
    async metrics(format: ExpositionFormat = 'text'): Promise<string> {
      return (await view.renderInSlices(format)).toString('utf8');
    },
    /** The same as UTF-8 bytes, which the metrics endpoint sends (see Registry.renderInSlices). */
    async renderInSlices(format: ExpositionFormat = 'text'): Promise<Buffer> {
      if (registry.store.directory === undefined) return registry.renderInSlices(format);
      await Promise.all(registry.getMetricsAsArray().map((metric) => metric.collect()));
      // Histograms to the file, for the other workers. Not sync(): other processes see a shared
      // mapping at once, and msync of a big file can hold the loop; failures are counted there.
      registry.store.flush?.();
      const app = appOfRegistry(registry);
      const mine = new Set(registry.storageFiles.map((path) => resolve(path)));
      const slicer = new Slicer();
      const skipped: string[] = [];
      const files: MmstatsFile[] = [await liveFile(registry, slicer, labelsOf)];
      const live = new Set<MmstatsFile>();
      if (app !== undefined) {
        // The other processes of this app, those gone and the archive (docs/file-format.md#the-archive).
        const others = appFiles(registry.store.directory, app, true, mine);
        for (const { path, reason } of others.skipped) skipped.push(`${path}: ${reason}`);
        for (const file of allOf(others)) {
          if (mine.has(resolve(file.path))) continue;
          files.push(file);
          if (others.live.includes(file)) live.add(file);
        }
        if (slicer.due(SLICE_ITEMS)) await slicer.pause();
      } else {
        const pattern = patternOf(registry);
        const found = pattern === undefined ? [] : findMmstatsFiles([pattern]).paths;
        for (const path of found) {
          if (mine.has(resolve(path))) continue;
          const read = readMmstatsFile(path, {
            maxBytes: CLUSTER_MAX_FILE_BYTES,
            maxMilliseconds: CLUSTER_MAX_FILE_MILLISECONDS,
          });
          if (read.ok) {
            files.push(read);
            if (writerLiveness(read.pid) === 'alive') live.add(read);
          } else if (!read.reason.startsWith('no such file')) skipped.push(`${path}: ${read.reason}`);
          if (slicer.due(SLICE_ITEMS)) await slicer.pause();
        }
      }
      const families = await filesToFamiliesInSlices(
        files,
        {
          gaugesOf: (file) => file === files[0] || live.has(file),
          onSkip: (path, reason, field) => {
            if (field === undefined) skipped.push(`${path}: ${reason}`);
          },
        },
        slicer,
        files[0],
        placements,
      );
      if (skipped.length > 0 && !warned) {
        warned = true;
        process.emitWarning(
          `@mmstats/core: the cluster view left out ${skipped[0]}${skipped.length > 1 ? ` (and ${skipped.length - 1} more)` : ''}. ` +
            'Its values are missing from the totals; mmstats_cluster_files_skipped counts such files at each scrape. ' +
            'Fix: remove the corrupt file (mmstats clean removes those of exited processes), or cut the series of the process writing it (cardinalityLimit).',
          { code: 'MMSTATS_CLUSTER' },
        );
      }
      families.push(...registry.healthFamilies(), {
        name: 'mmstats_cluster_files_skipped',
        help: 'mmstats files of this program left out of this scrape: unreadable, corrupt, or over the size or time bound.',
        type: 'gauge',
        unit: '',
        samples: [{ suffix: '', labels: '', value: skipped.length }],
      });
      return renderExpositionInSlices(families, format, slicer);
    },
  };
  return view;
}
