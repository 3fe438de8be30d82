import type { FamilySnapshot, Sample } from '../exposition/model.js';
import { filesToFamilies } from '../file-reader/aggregate.js';
import { type MmstatsSkippedFile, readMmstatsDirectory } from '../file-reader/discover.js';
import { writerLiveness } from '../file-reader/liveness.js';
import type { MmstatsFile, MmstatsReadResult } from '../file-reader/reader.js';
import { escapeLabelValue } from '../metrics/labels.js';
import { appOf } from './app-of.js';
import { labelPairs } from './label-pairs.js';

export interface AppsView {
  families: FamilySnapshot[];
  /** Files read per app, in the order apps were first seen. */
  apps: Map<string, MmstatsFile[]>;
  skipped: MmstatsSkippedFile[];
  /** Families an app could not join because another app has the same name with another type. */
  conflicts: string[];
}

export interface AppsOptions {
  /** How a file is read; default the full reader. A scraper passes a CachedReader's. */
  read?: (path: string) => MmstatsReadResult;
  /** Only this app's files. */
  app?: string;
}

/** Groups files by app, in file order. */
export function groupByApp(files: readonly MmstatsFile[]): Map<string, MmstatsFile[]> {
  const apps = new Map<string, MmstatsFile[]>();
  for (const file of files) {
    const app = appOf(file);
    const list = apps.get(app);
    if (list === undefined) apps.set(app, [file]);
    else list.push(file);
  }
  return apps;
}

/**
 * Every app's files as one exposition, each app aggregated as the cluster view does (counters and
 * histograms summed over its files, exited processes included; gauges of running processes, with
 * `pid`). With several apps each sample gets an `app` label (`mmstats_app` when the series has its
 * own `app`). Untyped fields, as files of the original mmstats hold, are exported as gauges: a
 * value read from a file is a reading of now, which is what a gauge is.
 */
export function appsExposition(
  targets: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
  options: AppsOptions = {},
): AppsView {
  const { files, skipped } = readMmstatsDirectory(targets, { env, read: options.read });
  const apps = groupByApp(files);
  if (options.app !== undefined)
    for (const app of [...apps.keys()]) if (app !== options.app) apps.delete(app);
  const labelled = apps.size > 1;
  const merged = new Map<string, FamilySnapshot>();
  const conflicts: string[] = [];
  for (const [app, appFiles] of apps) {
    const families = filesToFamilies(appFiles, { gaugesOf: (file) => running(file.pid) });
    for (const family of families) {
      const type = family.type === 'untyped' ? 'gauge' : family.type;
      const samples = labelled ? family.samples.map((s) => withApp(s, app)) : family.samples;
      const seen = merged.get(family.name);
      if (seen === undefined) merged.set(family.name, { ...family, type, samples });
      else if (seen.type === type) seen.samples.push(...samples);
      else conflicts.push(`${family.name} is a ${type} in app ${app} but a ${seen.type} in another app`);
    }
  }
  return { families: [...merged.values()], apps, skipped, conflicts };
}

/** Only a writer known to be gone loses its gauges: a file without sys.pid may be live. */
function running(pid: number | undefined): boolean {
  return pid === undefined || writerLiveness(pid) !== 'dead';
}

function withApp(sample: Sample, app: string): Sample {
  const name = labelPairs(sample.labels).some(([k]) => k === 'app') ? 'mmstats_app' : 'app';
  const pair = `${name}="${escapeLabelValue(app)}"`;
  return { ...sample, labels: sample.labels === '' ? pair : `${pair},${sample.labels}` };
}
