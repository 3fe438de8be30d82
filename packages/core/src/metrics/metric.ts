import { MetricsError } from '../errors.js';
import type { FamilySnapshot, MetricType, Sample } from '../exposition/model.js';
import { exposedFamilyName, familyHeader } from '../exposition/render.js';
import { type ExpositionWriter, isAscii } from '../exposition/writer.js';
import { MemoryStore, type Store } from '../storage/store.js';
import { checkCardinalityLimit } from './cardinality.js';
import { familyText } from './collector.js';
import type {
  MetricConfiguration,
  MetricJSON,
  MetricValue,
  RegisteredMetric,
  RegistryLike,
} from './contracts.js';
import type { Exemplar, ExemplarStore } from './exemplars.js';
import { DEFAULT_CARDINALITY_LIMIT, type Labels, renderLabelPairs, SeriesIndex } from './labels.js';
import { defaultRegistry } from './registry.js';
import { sanitizePrefix, validateHelp, validateLabelNames, validateMetricName } from './validation.js';

/** What every series of a metric has: its label values and their rendered form. */
export interface SeriesBase {
  readonly labelText: string;
  /** `labelText` is plain ASCII, so the series' text can be copied byte for byte. */
  readonly ascii: boolean;
}

let orphanStore: Store | undefined;

function warnCardinality(name: string, limit: number): void {
  process.emitWarning(
    `@mmstats/core: ${name} reached its limit of ${limit} label sets; new label sets are counted in the series whose labels are all "__overflow__", and refused ones in mmstats_series_refused_total{metric="${name}"}. ` +
      'Fix: drop unbounded values (user ids, raw paths, tenants from headers) from its labels, or raise cardinalityLimit on the metric or its registry.',
    { code: 'MMSTATS_CARDINALITY' },
  );
}

/**
 * Common ground of Counter, Gauge and Histogram: validation, registration, the series index and
 * the file metadata. Subclasses only say how a series stores and renders its values.
 */
export abstract class Metric<S extends SeriesBase = SeriesBase> implements RegisteredMetric {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly unit: string;
  /** mmstats label prefix; field labels are `<prefix><sample>` (docs/file-format.md#samples-as-labels). */
  readonly prefix: string;
  abstract readonly type: MetricType;
  protected readonly store: Store;
  protected readonly series: SeriesIndex<S>;
  /** prom-client's `aggregator`, given back by `get()`. */
  readonly aggregator: string;
  /** The aggregator the files say, for gauges (docs/file-format.md#metadata); none: per process. */
  private readonly filesAggregator: string | undefined;
  private readonly collectFn: (() => void | Promise<void>) | undefined;
  private single: S | undefined;
  /** Set by subclasses created with `enableExemplars`. */
  protected exemplars: ExemplarStore<S> | undefined;
  /** Names and units are ASCII by validation; only the help text may not be. */
  private readonly helpAscii: boolean;

  protected constructor(config: MetricConfiguration, reservedLabels: readonly string[] = []) {
    if (config === null || typeof config !== 'object') {
      throw new MetricsError(
        'INVALID_OPTION',
        'A metric needs a configuration object: { name, help, labelNames? }.',
      );
    }
    const prefix = config.prefix ?? '';
    if (typeof prefix !== 'string' || /[\s{}"]/.test(prefix)) {
      throw new MetricsError(
        'INVALID_OPTION',
        `prefix ${JSON.stringify(prefix)} may not contain spaces, braces or quotes; use something like "web.stats.".`,
      );
    }
    validateMetricName(config.name);
    this.prefix = prefix;
    this.name = sanitizePrefix(prefix) + config.name;
    validateMetricName(this.name);
    this.help = validateHelp(this.name, config.help);
    this.helpAscii = isAscii(this.help);
    this.labelNames = validateLabelNames(this.name, config.labelNames, reservedLabels);
    this.unit = config.unit ?? '';
    // OpenMetrics wants the family name to end with the unit; only a counter's family drops `_total`.
    const isCounter = (new.target as { metricType?: string }).metricType === 'counter';
    const family = isCounter ? this.name.replace(/_total$/, '') : this.name;
    if (this.unit !== '' && (!/^[a-zA-Z0-9_]+$/.test(this.unit) || !family.endsWith(`_${this.unit}`))) {
      throw new MetricsError(
        'INVALID_OPTION',
        `${this.name}: unit "${this.unit}" must be letters, digits or '_' and the name must end with "_${this.unit}" (OpenMetrics).`,
      );
    }
    if (config.collect !== undefined && typeof config.collect !== 'function') {
      throw new MetricsError('INVALID_OPTION', `${this.name}: collect must be a function.`);
    }
    this.aggregator = typeof config.aggregator === 'string' ? config.aggregator : 'sum';
    this.filesAggregator =
      typeof config.aggregator === 'string' && config.perProcess !== true ? config.aggregator : undefined;
    this.collectFn = config.collect as (() => void | Promise<void>) | undefined;
    const registers: readonly RegistryLike[] = config.registers ?? [defaultRegistry()];
    for (const registry of registers) registry.assertCanRegister(this);
    orphanStore ??= new MemoryStore();
    this.store = registers[0]?.store ?? orphanStore;
    const limit =
      checkCardinalityLimit(this.name, config.cardinalityLimit) ??
      registers[0]?.cardinalityLimit ??
      DEFAULT_CARDINALITY_LIMIT;
    this.series = new SeriesIndex(
      this.name,
      this.labelNames,
      (values) => this.createSeries(values, renderLabelPairs(this.labelNames, values)),
      limit,
      (first) => {
        if (first) warnCardinality(this.name, limit);
      },
    );
    for (const registry of registers) registry.registerMetric(this);
  }

  /** Recordings whose label set was refused because this metric was at its cardinality limit. */
  get refusedLabelSets(): number {
    return this.series.refused;
  }

  /** @internal Whether a bound child is the overflow series (refused label sets fold into it). */
  isOverflow(child: unknown): boolean {
    return this.series.isOverflow(child as S);
  }

  /** Call at the end of a subclass constructor, once its own fields are set. */
  protected init(): void {
    this.store.staticString(`mmstats.meta.${this.name}`, this.fileMeta());
    if (this.labelNames.length === 0) this.single = this.series.getByValues([]);
  }

  /** @internal The family's metadata field, as JSON (docs/file-format.md#metadata). */
  fileMeta(): string {
    const meta: Record<string, string> = { type: this.type, help: this.help, unit: this.unit };
    if (this.type === 'gauge' && this.filesAggregator !== undefined) meta.aggregator = this.filesAggregator;
    return JSON.stringify(meta);
  }

  /** Samples a Prometheus name derived from this one would have, for clash checks. */
  abstract sampleNames(): string[];
  protected abstract createSeries(values: string[], labelText: string): S;
  protected abstract samplesOf(series: S, out: Sample[]): void;
  /** The exposition lines of one series, samples named from `name` (what `samplesOf` gives, as text). */
  protected abstract seriesText(series: S, name: string): string;
  protected abstract resetSeries(series: S): void;

  /** The series for a label set, as an object of values or positional values in declared order. */
  protected seriesFor(labels: Labels | undefined): S {
    if (labels === undefined) {
      if (this.single !== undefined) return this.single;
      throw new MetricsError(
        'MISSING_LABEL',
        `${this.name}: labels [${this.labelNames.join(', ')}] are required. Pass them as an object.`,
      );
    }
    if (this.single !== undefined) {
      // prom-client code passes `{}` to metrics without labels; only a real label is a mistake.
      for (const key in labels) {
        throw new MetricsError(
          'UNKNOWN_LABEL',
          `${this.name}: unknown label "${key}". It has no label names; call it without labels.`,
        );
      }
      return this.single;
    }
    return this.series.get(labels);
  }

  protected seriesForValues(values: readonly unknown[]): S {
    if (values.length === 1 && values[0] !== null && typeof values[0] === 'object')
      return this.seriesFor(values[0] as Labels);
    return this.series.getByValues(values);
  }

  /** Forgets a series (it is no longer exported). Its mmstats field stays in the file, at its last value. */
  remove(...labels: [Labels] | (string | number)[]): void {
    if (this.labelNames.length === 0) return;
    const positional = !(labels.length === 1 && typeof labels[0] === 'object');
    if (positional && labels.length !== this.labelNames.length) {
      throw new MetricsError(
        labels.length > this.labelNames.length ? 'UNKNOWN_LABEL' : 'MISSING_LABEL',
        `${this.name}.remove(): got ${labels.length} label value(s) for [${this.labelNames.join(', ')}]. Pass one value per declared label, in order, or an object.`,
      );
    }
    const object =
      labels.length === 1 && typeof labels[0] === 'object'
        ? (labels[0] as Labels)
        : Object.fromEntries(this.labelNames.map((n, i) => [n, labels[i] as string]));
    this.series.remove(object);
  }

  /** Zeroes every series; labelled series are dropped, as in prom-client. */
  reset(): void {
    this.exemplars?.clear();
    if (this.single !== undefined) this.resetSeries(this.single);
    else {
      for (const series of this.series.all()) this.resetSeries(series);
      this.series.clear();
    }
  }

  /** Runs the collect callback, if any. */
  collect(): void | Promise<void> {
    return this.collectFn?.call(this as never);
  }

  /** The family ready for exposition. */
  snapshot(): FamilySnapshot {
    const samples: Sample[] = [];
    for (const series of this.series.all()) this.samplesOf(series, samples);
    return { name: this.name, help: this.help, type: this.type, unit: this.unit, samples };
  }

  /**
   * @internal Writes this family to a scrape: the text `renderExposition([this.snapshot()])`
   * gives, without building a sample object per line.
   */
  render(writer: ExpositionWriter, om: boolean): void {
    const all = this.series.all();
    this.renderPart(writer, om, all, 0, all.length);
  }

  /**
   * @internal For rendering in slices: the series as they are now, copied, so that every slice
   * works on one list (a series removed or added meanwhile cannot be written twice or skipped).
   */
  seriesForRender(): readonly unknown[] {
    return this.series.all().slice();
  }

  /** @internal Writes the family header when `from` is 0, then `list[from, to)` (from `seriesForRender`). */
  renderPart(
    writer: ExpositionWriter,
    om: boolean,
    list: readonly unknown[],
    from: number,
    to: number,
  ): void {
    const name = exposedFamilyName(this.name, this.type, om);
    const header = familyHeader(name, this.help, this.type, this.unit, om);
    if (om && this.exemplars !== undefined) {
      // Exemplars follow their samples, which the per-series text leaves out: write from samples.
      const samples: Sample[] = [];
      this.samplesPart(list, from, to, samples);
      const family = { name: this.name, help: this.help, type: this.type, unit: this.unit, samples };
      const text = familyText(family, om);
      writer.write(from === 0 ? text : text.slice(header.length), false);
      return;
    }
    if (from === 0) writer.write(header, this.helpAscii);
    const sampleName = om && this.type === 'counter' ? `${name}_total` : name;
    const end = Math.min(to, list.length);
    for (let i = from; i < end; i++) {
      const series = list[i] as S;
      writer.write(this.seriesText(series, sampleName), series.ascii);
    }
  }

  /** @internal The samples of `list[from, to)` (from `seriesForRender`), appended to `out`. */
  samplesPart(list: readonly unknown[], from: number, to: number, out: Sample[]): void {
    const end = Math.min(to, list.length);
    for (let i = from; i < end; i++) this.samplesOf(list[i] as S, out);
  }

  /** prom-client's `get()`: runs `collect`, then gives values with their labels as objects. */
  async get(): Promise<MetricJSON> {
    await this.collect();
    return this.getNow();
  }

  /** @internal `get()` without running `collect`. */
  getNow(): MetricJSON {
    const values: MetricJSON['values'] = [];
    for (const series of this.series.all()) {
      const labelValues = this.series.labelValues(series);
      const base: Record<string, string> = {};
      this.labelNames.forEach((name, i) => {
        base[name] = labelValues[i]!;
      });
      const out: Sample[] = [];
      this.samplesOf(series, out);
      out.forEach((sample, index) => {
        const labels: Record<string, string | number> = { ...base };
        // Only a histogram's bucket ends with its own `le`; a label such as `file` must not match.
        const le = sample.suffix === '_bucket' ? /(?:^|,)le="([^"]*)"$/.exec(sample.labels) : null;
        if (le) labels.le = le[1] === '+Inf' ? '+Inf' : Number(le[1]);
        const value: MetricValue =
          sample.suffix === ''
            ? { labels, value: sample.value }
            : { labels, value: sample.value, metricName: this.name + sample.suffix };
        const exemplar = this.exemplarOf(series, index);
        if (exemplar !== undefined) value.exemplar = exemplar;
        values.push(value);
      });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /**
   * The exemplar `get()` gives with the `index`th sample of `series`, in prom-client's shape:
   * undefined leaves the key out, null is a slot that can hold one but has none yet.
   */
  protected exemplarOf(_series: S, _index: number): Exemplar | null | undefined {
    return undefined;
  }

  /** Field label for a sample of a series: `<prefix><name><suffix>{labels}`. */
  protected fieldLabel(suffix: string, labelText: string): string {
    const base = this.prefix + this.name.slice(sanitizePrefix(this.prefix).length) + suffix;
    return labelText === '' ? base : `${base}{${labelText}}`;
  }
}
