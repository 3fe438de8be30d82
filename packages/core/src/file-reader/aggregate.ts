import { basename } from 'node:path';
import type { FamilySnapshot, MetricType, Sample } from '../exposition/model.js';
import { type ExpositionFormat, renderExposition } from '../exposition/render.js';
import { type ParsedFieldLabel, parseFieldLabel, renderPairs } from '../file-format/field-label.js';
import { escapeLabelValue } from '../metrics/labels.js';
import { METRIC_NAME } from '../metrics/validation.js';
import { type MmstatsDiscoverOptions, readMmstatsDirectory } from './discover.js';
import { appOf } from './file-identity.js';
import { type HistogramSeries, histogramSamples, newHistogramSeries } from './histogram-merge.js';
import type { MmstatsFile } from './reader.js';

interface Meta {
  type: MetricType;
  help: string;
  unit: string;
}

interface Family {
  name: string;
  meta: Meta;
  /** Counter, gauge and untyped samples by suffix and labels. */
  samples: Map<string, Sample>;
  /** Histogram series by their labels without `le`. */
  histograms: Map<string, HistogramSeries>;
}

const META_PREFIX = 'mmstats.meta.';
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'untyped']);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;
/** The default fields of docs/file-format.md#default-fields (with any label prefix): they describe the process, not the app. */
const DEFAULT_FIELD = /(^|\.)(sys\.[A-Za-z_]+|org\.[A-Za-z_]+\.version)$/;

/**
 * Rebuilds metric families from mmstats files, one file per process (docs/file-format.md#metadata): `# HELP` and
 * `# TYPE` from the `mmstats.meta.<family>` fields; counters and histograms summed per series across
 * files; gauges one series per process with a `pid` label (prometheus client_python's multiprocess
 * mode `all`). Numeric fields without metadata (files of the original Python mmstats) become
 * `untyped` families, one series per process like gauges, since nothing says whether summing them
 * means anything. String fields are not exported: their values would be unbounded label values.
 */
export interface FilesToFamiliesOptions {
  /** Whether a file's gauge and untyped series are shown; default all. Counters and histograms always count. */
  gaugesOf?: (file: MmstatsFile) => boolean;
  /** Only the files of this application (their `mmstats.app` field); default every file. */
  app?: string;
}

export function filesToFamilies(
  all: readonly MmstatsFile[],
  options: FilesToFamiliesOptions = {},
): FamilySnapshot[] {
  const { app } = options;
  const files = app === undefined ? all : all.filter((file) => appOf(file) === app);
  const metas = collectMeta(files);
  const families = new Map<string, Family>();
  const family = (name: string, meta: Meta) => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, meta, samples: new Map(), histograms: new Map() };
      families.set(name, f);
    }
    return f;
  };
  // Every process of a program has the same labels: place each label once, then only add values.
  const placements = new Map<string, Placement | null>();
  files.forEach((file, fileIndex) => {
    const writer = writerOf(file);
    const gauges = options.gaugesOf?.(file) ?? true;
    for (const field of file.fields) {
      if (typeof field.value === 'string') {
        const meta = field.label.startsWith(META_PREFIX)
          ? metas.get(field.label.slice(META_PREFIX.length))
          : undefined;
        if (meta !== undefined) family(field.label.slice(META_PREFIX.length), meta);
        continue;
      }
      let placement = placements.get(field.label);
      if (placement === undefined) {
        placement = place(field.label, metas);
        placements.set(field.label, placement);
      }
      if (placement === null) continue;
      const value = typeof field.value === 'boolean' ? Number(field.value) : field.value;
      if (!gauges && placement.meta.type !== 'counter' && placement.meta.type !== 'histogram') continue;
      placement.target ??= family(placement.family, placement.meta);
      addValue(placement.target, placement, value, fileIndex, writer);
    }
  });
  return [...families.values()].map(toSnapshot);
}

/** `renderExposition(filesToFamilies(…))` over every file the targets name; unreadable files are left out. */
export function renderMmstatsFiles(
  targets?: string | readonly string[],
  format: ExpositionFormat = 'text',
  options: MmstatsDiscoverOptions & FilesToFamiliesOptions = {},
): string {
  return renderExposition(filesToFamilies(readMmstatsDirectory(targets, options).files, options), format);
}

function collectMeta(files: readonly MmstatsFile[]): Map<string, Meta> {
  const metas = new Map<string, Meta>();
  for (const file of files) {
    for (const field of file.fields) {
      if (!field.label.startsWith(META_PREFIX) || typeof field.value !== 'string') continue;
      const name = field.label.slice(META_PREFIX.length);
      const meta = parseMeta(field.value);
      // A writer appends a changed static string again, so the later one is current; processes of
      // one program all write the same metadata, so which file comes last does not matter.
      if (meta !== null && METRIC_NAME.test(name)) metas.set(name, meta);
    }
  }
  return metas;
}

function parseMeta(json: string): Meta | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== 'object') return null;
  const { type, help, unit } = raw as Record<string, unknown>;
  return {
    type: typeof type === 'string' && TYPES.has(type) ? (type as MetricType) : 'untyped',
    help: typeof help === 'string' && help.trim() !== '' ? help : 'mmstats metric',
    unit: typeof unit === 'string' && /^[a-zA-Z0-9_]*$/.test(unit) ? unit : '',
  };
}

/** Which family and sample a field belongs to: its own name, or a histogram's `_bucket`/`_sum`/`_count`. */
function classify(parsed: ParsedFieldLabel, metas: Map<string, Meta>): { name: string; suffix: string } {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!parsed.name.endsWith(suffix)) continue;
    const stem = parsed.name.slice(0, -suffix.length);
    if (metas.get(stem)?.type === 'histogram') return { name: stem, suffix };
  }
  return { name: parsed.name, suffix: '' };
}

/** Where a field's values go; null for fields that are not exported. */
interface Placement {
  family: string;
  meta: Meta;
  /** `_bucket`, `_sum`, `_count` for histograms, else empty. */
  suffix: string;
  /** Rendered label pairs; without `le` for histogram samples. */
  labels: string;
  le: string | undefined;
  /** The label names the writer's `pid`/`tid` take: `mmstats_pid` when the series has its own `pid`. */
  pidName: string;
  tidName: string | undefined;
  /** The family, found on first use. */
  target?: Family;
}

/** A label taken apart once: what placing it needs, whatever the metadata says. */
interface LabelParts {
  parsed: ParsedFieldLabel;
  /** Rendered pairs, all of them and without `le`. */
  all: string;
  withoutLe: string;
  le: string | undefined;
  hasPid: boolean;
  hasTid: boolean;
}

/** Scrapes meet the same labels every time: each is parsed once (bounded, for churning series). */
const labelParts = new Map<string, LabelParts>();
const MAX_PARSED = 100_000;

function partsOf(label: string): LabelParts {
  let parts = labelParts.get(label);
  if (parts === undefined) {
    if (labelParts.size >= MAX_PARSED) labelParts.clear();
    const parsed = parseFieldLabel(label);
    const names = new Set(parsed.pairs.map(([k]) => k));
    parts = {
      parsed,
      all: renderPairs(parsed.pairs),
      withoutLe: renderPairs(parsed.pairs.filter(([k]) => k !== 'le')),
      le: parsed.pairs.find(([k]) => k === 'le')?.[1],
      hasPid: names.has('pid'),
      hasTid: names.has('tid'),
    };
    labelParts.set(label, parts);
  }
  return parts;
}

function place(label: string, metas: Map<string, Meta>): Placement | null {
  if (label.startsWith(META_PREFIX)) return null;
  const parts = partsOf(label);
  const { name, suffix } = classify(parts.parsed, metas);
  let meta = metas.get(name);
  if (meta === undefined) {
    // Only a field no metadata claims can be a default field: `app.sys.load` may be a real gauge.
    if (DEFAULT_FIELD.test(label)) return null;
    meta = { type: 'untyped', help: `mmstats field ${label}`, unit: '' };
  }
  // A histogram's own name without a suffix is no sample of it: nothing valid to export.
  if (meta.type === 'histogram' && suffix === '') return null;
  return {
    family: name,
    meta,
    suffix,
    labels: meta.type === 'histogram' ? parts.withoutLe : parts.all,
    le: suffix === '_bucket' ? parts.le : undefined,
    pidName: parts.hasPid ? 'mmstats_pid' : 'pid',
    tidName: parts.hasTid ? undefined : 'tid',
  };
}

/** Escaped `pid` (from `sys.pid`, else the file name) and, for a thread's own file, `tid`. */
interface Writer {
  pid: string;
  tid: string | undefined;
}

function writerOf(file: MmstatsFile): Writer {
  const tid = file.fields.find((f) => f.label.endsWith('sys.tid'))?.value;
  const ownThread = typeof tid === 'number' && tid !== 0 && tid !== file.pid;
  return {
    pid: escapeLabelValue(String(file.pid ?? basename(file.path))),
    tid: ownThread ? String(tid) : undefined,
  };
}

function addValue(
  target: Family,
  placement: Placement,
  value: number,
  fileIndex: number,
  writer: Writer,
): void {
  const { labels, meta } = placement;
  if (meta.type === 'histogram') {
    let series = target.histograms.get(labels);
    if (series === undefined) {
      series = newHistogramSeries(labels);
      target.histograms.set(labels, series);
    }
    if (placement.suffix === '_sum') series.sum += value;
    else if (placement.suffix === '_count') series.count += value;
    else if (placement.le !== undefined) series.addBucket(fileIndex, placement.le, value);
  } else if (meta.type === 'counter') {
    const sample = target.samples.get(labels);
    if (sample === undefined) target.samples.set(labels, { suffix: '', labels, value });
    else sample.value += value;
  } else {
    // Gauges and untyped fields: one series per writer.
    let own = `${labels}${labels === '' ? '' : ','}${placement.pidName}="${writer.pid}"`;
    if (writer.tid !== undefined && placement.tidName !== undefined) own += `,tid="${writer.tid}"`;
    // Two files claiming one process and series (a reused PID): the first keeps it.
    if (!target.samples.has(own)) target.samples.set(own, { suffix: '', labels: own, value });
  }
}

function toSnapshot(family: Family): FamilySnapshot {
  const samples = [...family.samples.values()];
  for (const series of family.histograms.values()) samples.push(...histogramSamples(series));
  return {
    name: family.name,
    help: family.meta.help,
    type: family.meta.type,
    unit: family.meta.unit,
    samples,
  };
}
