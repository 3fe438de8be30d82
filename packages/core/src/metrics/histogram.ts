import type { MetricType, Sample } from '../exposition/model.js';
import { sampleLine } from '../exposition/render.js';
import { isAscii } from '../exposition/writer.js';
import type { Cell } from '../file-format/cell.js';
import { formatBound, validateBuckets } from './buckets.js';
import type { MetricConfiguration } from './contracts.js';
import { type Exemplar, ExemplarStore, exemplarLabelsFor } from './exemplars.js';
import { type Labels, mergeLabels } from './labels.js';
import { Metric } from './metric.js';
import { stopwatch, timerRecording } from './stopwatch.js';
import { invalidValue } from './validation.js';

export interface HistogramConfiguration<L extends string = string> extends MetricConfiguration<L> {
  /** Upper bounds in increasing order; +Inf is added. Default: OpenTelemetry's HTTP set, 0.005–10 s. */
  buckets?: readonly number[];
}

/**
 * A bound histogram series. Observing writes only process memory (one bucket, sum, count, a
 * dirty flag), because writing every cumulative field per observation is costly. The store publishes
 * dirty series to their mmstats fields, cumulative, one `Q` per bucket (docs/file-format.md#samples-as-labels), within one
 * publish interval (250 ms by default) and on `sync()`/exit, as docs/file-format.md#writers allows.
 */
export class HistogramChild {
  /**
   * Per-bucket (not cumulative) counts, the +Inf one last, then the sum, then the count. One
   * array rather than two number fields, each of which would be a heap box of its own, so an
   * observation touches one object.
   */
  private readonly counts: Float64Array;
  private readonly sumAt: number;
  private dirty = false;

  constructor(
    readonly labelText: string,
    /** Escaped label pairs of each bucket, `le` included: built once, reused by every scrape. */
    readonly bucketLabels: readonly string[],
    private readonly bounds: Float64Array,
    private readonly bucketCells: Cell[],
    private readonly sumCell: Cell,
    private readonly countCell: Cell,
    private readonly metric: string,
  ) {
    this.counts = new Float64Array(bounds.length + 3);
    this.sumAt = bounds.length + 1;
    this.ascii = isAscii(labelText);
  }

  readonly ascii: boolean;

  observe(value: number): void {
    if (!(value > Number.NEGATIVE_INFINITY && value < Number.POSITIVE_INFINITY)) {
      throw invalidValue(this.metric, 'cannot observe', value, 'Observations must be finite numbers.');
    }
    const bounds = this.bounds;
    const counts = this.counts;
    const sumAt = this.sumAt;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    counts[i]! += 1;
    counts[sumAt]! += value;
    counts[sumAt + 1]! += 1;
    this.dirty = true;
  }

  /** Returns a function that observes the seconds elapsed since now, and returns them. */
  startTimer(): () => number {
    return timerRecording((seconds) => this.observe(seconds));
  }

  getSum(): number {
    return this.counts[this.sumAt]!;
  }

  getCount(): number {
    return this.counts[this.sumAt + 1]!;
  }

  /** Observations in bucket `i` alone, not cumulative (the last one is +Inf). */
  bucketCount(i: number): number {
    return this.counts[i]!;
  }

  /** Writes the values to the mmstats fields when they changed since the last publish. */
  publish(): void {
    if (!this.dirty) return;
    this.dirty = false;
    let total = 0;
    for (let i = 0; i < this.bucketCells.length; i++) {
      total += this.counts[i]!;
      this.bucketCells[i]!.setQ(total);
    }
    this.sumCell.setD(this.counts[this.sumAt]!);
    this.countCell.setQ(this.counts[this.sumAt + 1]!);
  }

  /** @internal */
  zero(): void {
    this.counts.fill(0);
    this.dirty = true;
    this.hiddenWhileEmpty = false;
  }

  /**
   * @internal Set by `Histogram.reset()`: prom-client then exports no series for an unlabelled
   * histogram until the next observation, which the count turning non-zero reveals.
   */
  hiddenWhileEmpty = false;

  /** @internal */
  get hidden(): boolean {
    return this.hiddenWhileEmpty && this.counts[this.sumAt + 1] === 0;
  }
}

type HistogramLabels<L extends string> = Partial<Record<L, string | number>>;

/** prom-client's argument of `observe` on a histogram with `enableExemplars`. */
export interface HistogramExemplarObservation<L extends string = string> {
  labels?: HistogramLabels<L>;
  value: number;
  exemplarLabels?: Record<string, string | number>;
}

export class Histogram<L extends string = string> extends Metric<HistogramChild> {
  static readonly metricType = 'histogram';
  readonly type: MetricType = 'histogram';
  readonly buckets: readonly number[];
  private readonly bounds: Float64Array;
  private readonly leText: string[];

  constructor(config: HistogramConfiguration<L>) {
    super(config, ['le']);
    this.buckets = Object.freeze(validateBuckets(this.name, config.buckets));
    this.bounds = Float64Array.from(this.buckets);
    this.leText = [...this.buckets, Number.POSITIVE_INFINITY].map(formatBound);
    if (config.enableExemplars === true) {
      this.exemplars = new ExemplarStore(this.name);
      this.observe = this.observeWithExemplar as Histogram<L>['observe'];
      this.startTimer = this.startTimerWithExemplar as Histogram<L>['startTimer'];
    }
    this.init();
    this.store.addPublisher(() => {
      for (const series of this.series.all()) series.publish();
    });
  }

  /** `observe(v)` or `observe(labels, v)`; with `enableExemplars`, prom-client's `observe({ labels, value, exemplarLabels })`. */
  observe(
    labelsOrValue: HistogramLabels<L> | HistogramExemplarObservation<L> | number,
    value?: number,
  ): void {
    if (typeof labelsOrValue === 'object') this.seriesFor(labelsOrValue as Labels).observe(value as number);
    else this.seriesFor(undefined).observe(labelsOrValue);
  }

  private observeWithExemplar(options: HistogramExemplarObservation<L> | number): void {
    if (typeof options !== 'object') {
      this.seriesFor(undefined).observe(options);
      return;
    }
    const series = this.seriesFor(options.labels as Labels | undefined);
    series.observe(options.value);
    const labels = exemplarLabelsFor(options.exemplarLabels);
    if (labels === undefined) return;
    let bucket = 0;
    while (bucket < this.bounds.length && options.value > this.bounds[bucket]!) bucket++;
    this.exemplars!.record(series, bucket, labels, options.value);
  }

  private startTimerWithExemplar(
    labels?: HistogramLabels<L>,
    exemplarLabels?: Record<string, string | number>,
  ): (endLabels?: HistogramLabels<L>, endExemplarLabels?: Record<string, string | number>) => number {
    const elapsed = stopwatch();
    return (endLabels, endExemplarLabels) => {
      const seconds = elapsed();
      this.observeWithExemplar({
        labels: mergeLabels(
          labels as Labels | undefined,
          endLabels as Labels | undefined,
        ) as HistogramLabels<L>,
        value: seconds,
        exemplarLabels:
          exemplarLabels === undefined && endExemplarLabels === undefined
            ? undefined
            : { ...exemplarLabels, ...endExemplarLabels },
      });
      return seconds;
    };
  }

  /** With `enableExemplars`, prom-client's `startTimer(labels, exemplarLabels)` and `end(labels, exemplarLabels)`. */
  startTimer(
    labels?: HistogramLabels<L>,
    _exemplarLabels?: Record<string, string | number>,
  ): (endLabels?: HistogramLabels<L>, endExemplarLabels?: Record<string, string | number>) => number {
    // One closure per timer: the clock is read through the global, as stopwatch.ts explains.
    const clock = globalThis.performance;
    const start = clock.now();
    return (endLabels) => {
      const seconds = (clock.now() - start) / 1000;
      this.seriesFor(mergeLabels(labels as Labels | undefined, endLabels as Labels | undefined)).observe(
        seconds,
      );
      return seconds;
    };
  }

  labels(...values: [HistogramLabels<L>] | (string | number)[]): HistogramChild {
    return this.seriesForValues(values);
  }

  /** Zeroes one series (prom-client's `zero`), creating it if needed so it is exported at 0. */
  zero(labels: HistogramLabels<L>): void {
    this.seriesFor(labels as Labels).zero();
  }

  sampleNames(): string[] {
    return [
      this.name,
      `${this.name}_bucket`,
      `${this.name}_sum`,
      `${this.name}_count`,
      `${this.name}_created`,
    ];
  }

  protected createSeries(_values: string[], labelText: string): HistogramChild {
    const sep = labelText === '' ? '' : ',';
    const bucketLabels = this.leText.map((le) => `${labelText}${sep}le="${le}"`);
    const buckets = bucketLabels.map((text) => this.store.field(this.fieldLabel('_bucket', text), 'Q'));
    const sum = this.store.field(this.fieldLabel('_sum', labelText), 'd');
    const count = this.store.field(this.fieldLabel('_count', labelText), 'Q');
    return new HistogramChild(labelText, bucketLabels, this.bounds, buckets, sum, count, this.name);
  }

  /** As prom-client: every series goes, an unlabelled one too until it is observed again. */
  override reset(): void {
    super.reset();
    if (this.labelNames.length === 0) this.labels().hiddenWhileEmpty = true;
  }

  protected samplesOf(series: HistogramChild, out: Sample[]): void {
    if (series.hidden) return;
    const labels = series.bucketLabels;
    let total = 0;
    for (let i = 0; i < labels.length; i++) {
      total += series.bucketCount(i);
      const sample: Sample = { suffix: '_bucket', labels: labels[i]!, value: total };
      if (this.exemplars !== undefined) sample.exemplar = this.exemplars.text(series, i);
      out.push(sample);
    }
    out.push({ suffix: '_sum', labels: series.labelText, value: series.getSum() });
    out.push({ suffix: '_count', labels: series.labelText, value: series.getCount() });
  }

  /** As prom-client: a finite bucket's slot is null until it has one; `+Inf`'s key only once it has. */
  protected override exemplarOf(series: HistogramChild, index: number): Exemplar | null | undefined {
    if (this.exemplars === undefined || index > this.bounds.length) return undefined;
    const exemplar = this.exemplars.get(series, index);
    return exemplar ?? (index < this.bounds.length ? null : undefined);
  }

  protected seriesText(series: HistogramChild, name: string): string {
    if (series.hidden) return '';
    const labels = series.bucketLabels;
    const bucket = `${name}_bucket`;
    let text = '';
    let total = 0;
    for (let i = 0; i < labels.length; i++) {
      total += series.bucketCount(i);
      text += sampleLine(bucket, labels[i]!, total);
    }
    return (
      text +
      sampleLine(`${name}_sum`, series.labelText, series.getSum()) +
      sampleLine(`${name}_count`, series.labelText, series.getCount())
    );
  }

  protected resetSeries(series: HistogramChild): void {
    series.zero();
  }
}
