import type { MetricType } from '../../exposition/model.js';
import { filesToFamilies } from '../../file-reader/aggregate.js';
import { type MmstatsSkippedFile, readMmstatsDirectory } from '../../file-reader/discover.js';
import { fileLiveness } from '../../file-reader/liveness.js';
import type { MmstatsFile } from '../../file-reader/reader.js';
import { groupByApp } from '../apps-exposition.js';
import { labelPairs } from '../label-pairs.js';

/** A number as JSON can carry it: NaN and the infinities as the strings the exposition uses. */
export type JsonNumber = number | 'NaN' | '+Inf' | '-Inf';

export interface SeriesView {
  /** Stable from one snapshot to the next while the file and series exist; the page keys history by it. */
  id: string;
  labels: [string, string][];
  /** Counters and gauges. */
  value?: JsonNumber;
  /** Histograms: observations, their sum, and cumulative counts per upper bound. */
  count?: JsonNumber;
  sum?: JsonNumber;
  buckets?: [string, JsonNumber][];
}

export interface FamilyView {
  name: string;
  type: MetricType;
  help: string;
  series: SeriesView[];
}

export interface ProcessView {
  path: string;
  pid: number | null;
  /** Whether the writer still runs; null when the file names no pid. */
  running: boolean | null;
  families: FamilyView[];
  /** Fields that are no metric: strings and the process' own `sys.*` fields. */
  other: [string, string][];
}

export interface PageSnapshot {
  time: number;
  reading: string;
  apps: { app: string; processes: ProcessView[] }[];
  skipped: MmstatsSkippedFile[];
}

export function jsonNumber(value: number): JsonNumber {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

/** Everything the page shows, read from the files now: apps, then processes, then metric families. */
export function pageSnapshot(
  targets: readonly string[] | undefined,
  env: NodeJS.ProcessEnv,
  reading: string,
): PageSnapshot {
  const { files, skipped } = readMmstatsDirectory(targets, { env });
  const apps = [...groupByApp(files)].map(([app, appFiles]) => ({
    app,
    processes: appFiles.map(processView),
  }));
  return { time: Date.now(), reading, apps, skipped };
}

function processView(file: MmstatsFile): ProcessView {
  const families = filesToFamilies([file], { writerLabels: false }).map((family) => familyView(file, family));
  const other: [string, string][] = [];
  for (const field of file.fields) {
    if (field.label.startsWith('mmstats.meta.')) continue;
    if (typeof field.value === 'string' || /(^|\.)sys\./.test(field.label))
      other.push([field.label, String(field.value)]);
  }
  const liveness = file.pid === undefined ? null : fileLiveness(file);
  return {
    path: file.path,
    pid: file.pid ?? null,
    running: liveness === null || liveness === 'unknown' ? null : liveness === 'alive',
    families,
    other,
  };
}

function familyView(file: MmstatsFile, family: ReturnType<typeof filesToFamilies>[number]): FamilyView {
  const idOf = (labels: string) => `${file.path}|${family.name}|${labels}`;
  if (family.type !== 'histogram') {
    const series = family.samples.map((s) => ({
      id: idOf(s.labels),
      labels: labelPairs(s.labels),
      value: jsonNumber(s.value),
    }));
    return { name: family.name, type: family.type, help: family.help, series };
  }
  const byLabels = new Map<string, SeriesView>();
  for (const sample of family.samples) {
    const pairs = labelPairs(sample.labels);
    const le = pairs.find(([k]) => k === 'le')?.[1];
    const own = pairs.filter(([k]) => k !== 'le');
    const key = JSON.stringify(own);
    let series = byLabels.get(key);
    if (series === undefined) {
      series = { id: idOf(key), labels: own, count: 0, sum: 0, buckets: [] };
      byLabels.set(key, series);
    }
    if (sample.suffix === '_count') series.count = jsonNumber(sample.value);
    else if (sample.suffix === '_sum') series.sum = jsonNumber(sample.value);
    else if (le !== undefined) series.buckets!.push([le, jsonNumber(sample.value)]);
  }
  return { name: family.name, type: family.type, help: family.help, series: [...byLabels.values()] };
}
