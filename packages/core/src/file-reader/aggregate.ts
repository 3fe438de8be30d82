import { basename } from 'node:path';
import type { FamilySnapshot, MetricType, Sample } from '../exposition/model.js';
import { type ExpositionFormat, renderExposition } from '../exposition/render.js';
import { SLICE_ITEMS, Slicer } from '../exposition/slicer.js';
import { type ParsedFieldLabel, parseFieldLabel, renderPairs } from '../file-format/field-label.js';
import { aggregators } from '../metrics/aggregators.js';
import { DEFAULT_LABELS_FIELD, type DefaultLabels, defaultLabelsOfField } from '../metrics/default-labels.js';
import { escapeLabelValue } from '../metrics/labels.js';
import { METRIC_NAME } from '../metrics/validation.js';
import { type MmstatsDiscoverOptions, readMmstatsDirectory } from './discover.js';
import { appOf } from './file-identity.js';
import { type HistogramSeries, histogramSamples, newHistogramSeries } from './histogram-merge.js';
import type { MmstatsField, MmstatsFile } from './reader.js';

interface Meta {
  type: MetricType;
  help: string;
  unit: string;
  /** A gauge's prom-client aggregator: its processes combined into one series; else one per process. */
  aggregator?: GaugeAggregator;
}

/** prom-client's aggregators, which a gauge's metadata may name. */
type GaugeAggregator = keyof typeof aggregators;
const GAUGE_AGGREGATORS: ReadonlySet<string> = new Set(Object.keys(aggregators));

interface Family {
  name: string;
  meta: Meta;
  /** Counter, gauge and untyped samples by suffix and labels. */
  samples: Map<string, Sample>;
  /** Histogram series by their labels without `le`. */
  histograms: Map<string, HistogramSeries>;
  /** For an `average` gauge: how many processes each series' mean is over so far. */
  averaged?: Map<string, number>;
}

const META_PREFIX = 'mmstats.meta.';
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
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
  /**
   * Whether gauge and untyped series get the writer's `pid` (and `tid`) label; default true. A
   * caller that shows one file at a time already knows the writer and can turn them off.
   */
  writerLabels?: boolean;
  /**
   * Told about what was left out and why: a whole file (`field` undefined) whose counter or
   * histogram holds a value no such metric can hold, or one record repeated in a file.
   */
  onSkip?: (path: string, reason: string, field?: string) => void;
  /** Only the files of this application (their `mmstats.app` field); default every file. */
  app?: string;
}

/** The files of `options.app`, or all of them. */
function ofApp(files: readonly MmstatsFile[], app: string | undefined): readonly MmstatsFile[] {
  return app === undefined ? files : files.filter((file) => appOf(file) === app);
}

export function filesToFamilies(
  all: readonly MmstatsFile[],
  options: FilesToFamiliesOptions = {},
): FamilySnapshot[] {
  const files = ofApp(all, options.app);
  const builder = new FamiliesBuilder(options);
  for (const file of files) builder.meta(file, 0, file.fields.length);
  files.forEach((file, fileIndex) => {
    if (builder.check(file, 0, file.fields.length)) builder.add(file, fileIndex, 0, file.fields.length);
  });
  return builder.snapshots();
}

/**
 * `filesToFamilies`, done in slices of a few milliseconds with the event loop free in between
 * (what the cluster view serves): for an exposition of many series, built in the serving process.
 */
export async function filesToFamiliesInSlices(
  all: readonly MmstatsFile[],
  options: FilesToFamiliesOptions = {},
  slicer: Slicer = new Slicer(),
  /** Files built from this process's memory: nothing there can be corrupt, so they are not checked. */
  trusted?: MmstatsFile,
  cache?: PlacementCache,
): Promise<FamilySnapshot[]> {
  const files = ofApp(all, options.app);
  const builder = new FamiliesBuilder(options);
  const sliced = async (file: MmstatsFile, step: (from: number, to: number) => unknown) => {
    for (let from = 0; from < file.fields.length; from += SLICE_ITEMS) {
      if (step(from, from + SLICE_ITEMS) === false) return false;
      if (slicer.due(SLICE_ITEMS)) await slicer.pause();
    }
    return true;
  };
  for (const file of files) await sliced(file, (from, to) => builder.meta(file, from, to));
  if (cache !== undefined) builder.useCache(cache);
  for (const [fileIndex, file] of files.entries()) {
    if (file === trusted || (await sliced(file, (from, to) => builder.check(file, from, to))))
      await sliced(file, (from, to) => builder.add(file, fileIndex, from, to));
  }
  return builder.snapshotsInSlices(slicer);
}

/**
 * What a counter or histogram sample of a file cannot hold, or null: such a value means the file
 * is corrupt, and summing it would make a wrong total (NaN, a negative or a fractional count).
 */
function impossible(placement: Placement, value: number): string | null {
  const { meta, suffix } = placement;
  if (meta.type === 'counter') {
    if (!Number.isFinite(value) || value < 0) return `counter value ${value} (must be finite and >= 0)`;
    // Past 2^53 a double no longer counts by one: such a total is a corrupt byte, not a count.
    if (value > Number.MAX_SAFE_INTEGER)
      return `counter value ${value} (beyond 2^53, where counts are no longer exact)`;
  } else if (meta.type === 'histogram') {
    if (suffix === '_sum') {
      if (!Number.isFinite(value)) return `histogram sum ${value} (must be finite)`;
    } else if (!Number.isSafeInteger(value) || value < 0) {
      return `histogram ${suffix.slice(1)} ${value} (must be a whole number >= 0, below 2^53)`;
    }
  }
  return null;
}

/**
 * The repeated records of a fields array, once checked: a CachedReader hands back the same array,
 * labels unchanged, read after read (a file that changed gets a new one), so the set of labels
 * need not be built again at every scrape.
 */
const repeatsByFields = new WeakMap<readonly MmstatsField[], Set<number>>();

let builds = 0;
const MAX_CACHED_PLACEMENTS = 1_000_000;

/** Placements kept between builds (see FamiliesBuilder.useCache); opaque to callers. */
export class PlacementCache {
  signature = '';
  readonly map = new Map<string, Placement | null>();
}

/** Builds families file by file, field range by field range (see filesToFamilies for the rules). */
class FamiliesBuilder {
  private readonly metas = new Map<string, Meta>();
  private readonly families = new Map<string, Family>();
  // Every process of a program has the same labels: place each label once, then only add values.
  private placements = new Map<string, Placement | null>();
  private readonly build = ++builds;
  /** Numeric labels already seen in the file being checked: a repeated one is skipped. */
  private seen = new Set<string>();
  private seenFile: MmstatsFile | undefined;
  private repeated = new Set<number>();
  private known: Set<number> | undefined;
  private writerFile: MmstatsFile | undefined;
  private writer: Writer | null | undefined;
  private gauges = true;
  private defaults: FileDefaults | undefined;

  constructor(private readonly options: FilesToFamiliesOptions) {}

  /** Collects the metadata of `file.fields[from, to)`. */
  meta(file: MmstatsFile, from: number, to: number): void {
    collectMetaInto(this.metas, file, from, to);
  }

  /** Checks `file.fields[from, to)`; false (and the file skipped) when one holds an impossible value. */
  check(file: MmstatsFile, from: number, to: number): boolean {
    if (this.seenFile !== file) {
      this.seenFile = file;
      this.known = repeatsByFields.get(file.fields);
      this.seen = new Set();
      this.repeated = this.known ?? new Set();
    }
    const end = Math.min(to, file.fields.length);
    for (let i = from; i < end; i++) {
      const field = file.fields[i]!;
      if (typeof field.value === 'string') continue;
      if (this.isRepeated(field.label, i)) {
        this.options.onSkip?.(
          file.path,
          'the record is repeated in the file: only the first copy counts',
          field.label,
        );
        continue;
      }
      const placement = this.placementOf(field.label);
      if (placement === null) continue;
      const value = typeof field.value === 'boolean' ? Number(field.value) : field.value;
      const reason = impossible(placement, value);
      if (reason !== null) {
        this.options.onSkip?.(
          file.path,
          `${JSON.stringify(field.label)} holds ${reason}: the file is corrupt`,
        );
        return false;
      }
    }
    if (end === file.fields.length && this.known === undefined)
      repeatsByFields.set(file.fields, this.repeated);
    return true;
  }

  /** Whether field `i` repeats an earlier label; known already for fields read before (see repeatsByFields). */
  private isRepeated(label: string, i: number): boolean {
    if (this.known !== undefined) return this.known.has(i);
    if (this.seen.has(label)) {
      this.repeated.add(i);
      return true;
    }
    this.seen.add(label);
    return false;
  }

  /** Adds the values of `file.fields[from, to)`; `check` must have passed over the whole file first. */
  add(file: MmstatsFile, fileIndex: number, from: number, to: number): void {
    // Once per file, not per slice: finding `sys.tid` scans the file's fields.
    if (this.writerFile !== file) {
      this.writerFile = file;
      this.writer = this.options.writerLabels === false ? null : writerOf(file);
      this.gauges = this.options.gaugesOf?.(file) ?? true;
      this.defaults = defaultsOf(file);
    }
    const defaults = this.defaults;
    const writer = this.writer ?? null;
    const gauges = this.gauges;
    const end = Math.min(to, file.fields.length);
    const repeated = this.seenFile === file ? this.repeated : new Set<number>();
    for (let i = from; i < end; i++) {
      const field = file.fields[i]!;
      if (typeof field.value === 'string') {
        const meta = field.label.startsWith(META_PREFIX)
          ? this.metas.get(field.label.slice(META_PREFIX.length))
          : undefined;
        if (meta !== undefined && meta.aggregator !== 'omit')
          this.family(field.label.slice(META_PREFIX.length), meta);
        continue;
      }
      if (repeated.has(i)) continue;
      const placement = this.placementOf(field.label, defaults);
      if (placement === null) continue;
      const value = typeof field.value === 'boolean' ? Number(field.value) : field.value;
      // Summaries' `_sum` and `_count` add up like counters; only gauges and untyped are per process.
      if (!gauges && (placement.meta.type === 'gauge' || placement.meta.type === 'untyped')) continue;
      if (placement.meta.aggregator === 'omit') continue;
      if (placement.build !== this.build) {
        placement.target = this.family(placement.family, placement.meta);
        placement.build = this.build;
      }
      const target = placement.target!;
      addValue(target, placement, value, fileIndex, writer);
    }
  }

  snapshots(): FamilySnapshot[] {
    return [...this.families.values()].map(toSnapshot);
  }

  async snapshotsInSlices(slicer: Slicer): Promise<FamilySnapshot[]> {
    const out: FamilySnapshot[] = [];
    for (const family of this.families.values()) {
      const samples = [...family.samples.values()];
      for (const series of family.histograms.values()) {
        samples.push(...histogramSamples(series));
        if (slicer.due(16)) await slicer.pause();
      }
      const { name, meta } = family;
      out.push({ name, help: meta.help, type: meta.type, unit: meta.unit, samples });
    }
    return out;
  }

  /**
   * Uses `cache` for placements from now on: kept by the caller from build to build (the cluster
   * view, scrape after scrape), so labels are parsed once, not at every scrape. Call after the
   * metadata is collected; the cache is emptied when the metadata changed.
   */
  useCache(cache: PlacementCache): void {
    const signature = JSON.stringify([...this.metas]);
    if (cache.signature !== signature || cache.map.size > MAX_CACHED_PLACEMENTS) {
      cache.map.clear();
      cache.signature = signature;
    }
    this.placements = cache.map;
  }

  /** Where `label` goes; in a file with default labels, with them added (its own labels win). */
  private placementOf(label: string, defaults?: FileDefaults): Placement | null {
    const key = defaults === undefined ? label : defaults.key + label;
    let placement = this.placements.get(key);
    if (placement === undefined) {
      placement = place(label, this.metas, defaults?.labels);
      this.placements.set(key, placement);
    }
    return placement;
  }

  private family(name: string, meta: Meta): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { name, meta, samples: new Map(), histograms: new Map() };
      this.families.set(name, f);
    }
    return f;
  }
}

/** `renderExposition(filesToFamilies(…))` over every file the targets name; unreadable files are left out. */
export function renderMmstatsFiles(
  targets?: string | readonly string[],
  format: ExpositionFormat = 'text',
  options: MmstatsDiscoverOptions & FilesToFamiliesOptions = {},
): string {
  return renderExposition(filesToFamilies(readMmstatsDirectory(targets, options).files, options), format);
}

function collectMetaInto(metas: Map<string, Meta>, file: MmstatsFile, from: number, to: number): void {
  const end = Math.min(to, file.fields.length);
  for (let i = from; i < end; i++) {
    const field = file.fields[i]!;
    if (typeof field.value !== 'string' || !field.label.startsWith(META_PREFIX)) continue;
    const name = field.label.slice(META_PREFIX.length);
    const meta = parseMeta(field.value);
    // A writer appends a changed static string again, so the later one is current; processes of
    // one program all write the same metadata, so which file comes last does not matter.
    if (meta !== null && METRIC_NAME.test(name)) metas.set(name, meta);
  }
}

function parseMeta(json: string): Meta | null {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return null;
  }
  if (raw === null || typeof raw !== 'object') return null;
  const { type, help, unit, aggregator } = raw as Record<string, unknown>;
  const meta: Meta = {
    type: typeof type === 'string' && TYPES.has(type) ? (type as MetricType) : 'untyped',
    help: typeof help === 'string' && help.trim() !== '' ? help : 'mmstats metric',
    unit: typeof unit === 'string' && /^[a-zA-Z0-9_]*$/.test(unit) ? unit : '',
  };
  // An aggregator this reader does not know leaves the gauge per process, as it was before.
  if (meta.type === 'gauge' && typeof aggregator === 'string' && GAUGE_AGGREGATORS.has(aggregator))
    meta.aggregator = aggregator as GaugeAggregator;
  return meta;
}

/** Which family and sample a field belongs to: its own name, or a histogram's `_bucket`/`_sum`/`_count`. */
function classify(parsed: ParsedFieldLabel, metas: Map<string, Meta>): { name: string; suffix: string } {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (!parsed.name.endsWith(suffix)) continue;
    const stem = parsed.name.slice(0, -suffix.length);
    const type = metas.get(stem)?.type;
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return { name: stem, suffix };
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
  /** A counter or summary sample's key in its family: made once, not per field and scrape. */
  key: string;
  le: string | undefined;
  /** The label names the writer's `pid`/`tid` take: `mmstats_pid` when the series has its own `pid`. */
  pidName: string;
  tidName: string | undefined;
  /** The family, found on first use. */
  target?: Family;
  /** The build `target` belongs to: a placement kept across builds finds its family again. */
  build?: number;
}

/** A file's default labels (docs/file-format.md#default-labels), and a key that tells them apart. */
interface FileDefaults {
  labels: DefaultLabels;
  key: string;
}

/** The last `mmstats.labels` field of a file: a writer appends a changed static string again. */
function defaultsOf(file: MmstatsFile): FileDefaults | undefined {
  let json: string | undefined;
  for (const field of file.fields)
    if (field.label === DEFAULT_LABELS_FIELD && typeof field.value === 'string') json = field.value;
  const labels = json === undefined ? undefined : defaultLabelsOfField(json);
  // A field label has no newline (the writer escapes it): the key cannot run into the label.
  return labels === undefined ? undefined : { labels, key: `${labels.pairs.join(',')}\n` };
}

function place(label: string, metas: Map<string, Meta>, defaults?: DefaultLabels): Placement | null {
  if (label.startsWith(META_PREFIX)) return null;
  const parsed = parseFieldLabel(label);
  const { name, suffix } = classify(parsed, metas);
  let meta = metas.get(name);
  if (meta === undefined) {
    // Only a field no metadata claims can be a default field: `app.sys.load` may be a real gauge.
    if (DEFAULT_FIELD.test(label)) return null;
    meta = { type: 'untyped', help: `mmstats field ${label}`, unit: '' };
  }
  // A histogram's own name without a suffix is no sample of it: nothing valid to export.
  if ((meta.type === 'histogram' || meta.type === 'summary') && suffix === '') return null;
  const histogram = meta.type === 'histogram';
  const names = new Set(parsed.pairs.map(([k]) => k));
  if (defaults !== undefined) {
    for (const name of defaults.names) {
      if (names.has(name)) continue;
      parsed.pairs.push([name, escapeLabelValue(defaults.values[name]!)]);
      names.add(name);
    }
  }
  const labels = renderPairs(histogram ? parsed.pairs.filter(([k]) => k !== 'le') : parsed.pairs);
  return {
    family: name,
    meta,
    suffix,
    labels,
    key: `${suffix}|${labels}`,
    le: suffix === '_bucket' ? parsed.pairs.find(([k]) => k === 'le')?.[1] : undefined,
    pidName: names.has('pid') ? 'mmstats_pid' : 'pid',
    tidName: names.has('tid') ? undefined : 'tid',
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
  writer: Writer | null,
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
  } else if (meta.type === 'counter' || meta.type === 'summary') {
    // A summary's files hold only `_sum` and `_count`, which add up like counters; its quantiles
    // stay in each process.
    const sample = target.samples.get(placement.key);
    if (sample === undefined) target.samples.set(placement.key, { suffix: placement.suffix, labels, value });
    else sample.value += value;
  } else if (meta.aggregator !== undefined) {
    combineGauge(target, labels, value, meta.aggregator);
  } else {
    // Gauges and untyped fields: one series per writer.
    let own = labels;
    if (writer !== null) {
      own = `${labels}${labels === '' ? '' : ','}${placement.pidName}="${writer.pid}"`;
      if (writer.tid !== undefined && placement.tidName !== undefined) own += `,tid="${writer.tid}"`;
    }
    // Two files claiming one process and series (a reused PID): the first keeps it.
    if (!target.samples.has(own)) target.samples.set(own, { suffix: '', labels: own, value });
  }
}

/** One process's value of a gauge with an aggregator, into the one series of all processes. */
function combineGauge(target: Family, labels: string, value: number, how: GaugeAggregator): void {
  const sample = target.samples.get(labels);
  if (sample === undefined) {
    target.samples.set(labels, { suffix: '', labels, value });
    if (how === 'average') {
      target.averaged ??= new Map();
      target.averaged.set(labels, 1);
    }
    return;
  }
  if (how === 'sum') sample.value += value;
  else if (how === 'min') sample.value = Math.min(sample.value, value);
  else if (how === 'max') sample.value = Math.max(sample.value, value);
  else if (how === 'average') {
    const n = (target.averaged?.get(labels) ?? 1) + 1;
    target.averaged?.set(labels, n);
    sample.value += (value - sample.value) / n;
  }
  // `first`: the first file's value stays (the cluster view puts this process's first).
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
