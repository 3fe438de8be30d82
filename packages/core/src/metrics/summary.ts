import { MetricsError } from '../errors.js';
import type { MetricType, Sample } from '../exposition/model.js';
import { sampleLine } from '../exposition/render.js';
import { isAscii } from '../exposition/writer.js';
import type { Cell } from '../file-format/cell.js';
import { formatBound } from './buckets.js';
import type { MetricConfiguration, MetricJSON } from './contracts.js';
import { type Labels, mergeLabels } from './labels.js';
import { Metric } from './metric.js';
import { timerRecording } from './stopwatch.js';
import { QuantileWindow } from './summary-window.js';
import { invalidValue } from './validation.js';

export interface SummaryConfiguration<L extends string = string> extends MetricConfiguration<L> {
  /** Quantiles to report, each in [0, 1]. Default: prom-client's 0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999. */
  percentiles?: readonly number[];
  /** With `ageBuckets`: quantiles cover only the last `maxAgeSeconds`. */
  maxAgeSeconds?: number;
  /** How many slots the window is cut into; each rotation forgets the oldest. */
  ageBuckets?: number;
  /** Drop a series from the output once its window holds no observations. */
  pruneAgedBuckets?: boolean;
  /** Accepted for prom-client compatibility; digests here merge when their buffer fills. */
  compressCount?: number;
}

const DEFAULT_PERCENTILES: readonly number[] = Object.freeze([0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999]);

/**
 * A bound summary series. Quantiles live in process memory only (a digest cannot be summed across
 * processes); `_sum` and `_count` are published to the mmstats file, like a histogram's values.
 */
export class SummaryChild {
  private readonly totals = new Float64Array(2);
  private dirty = false;
  readonly window: QuantileWindow;
  readonly ascii: boolean;

  constructor(
    readonly labelText: string,
    /** Escaped label pairs of each quantile, `quantile` included. */
    readonly quantileLabels: readonly string[],
    window: QuantileWindow,
    private readonly sumCell: Cell,
    private readonly countCell: Cell,
    private readonly metric: string,
  ) {
    this.window = window;
    this.ascii = isAscii(labelText);
  }

  observe(value: number): void {
    if (!(value > Number.NEGATIVE_INFINITY && value < Number.POSITIVE_INFINITY)) {
      throw invalidValue(this.metric, 'cannot observe', value, 'Observations must be finite numbers.');
    }
    this.window.push(value);
    this.totals[0]! += value;
    this.totals[1]! += 1;
    this.dirty = true;
  }

  /** Returns a function that observes the seconds elapsed since now, and returns them. */
  startTimer(): () => number {
    return timerRecording((seconds) => this.observe(seconds));
  }

  getSum(): number {
    return this.totals[0]!;
  }

  getCount(): number {
    return this.totals[1]!;
  }

  publish(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.sumCell.setD(this.totals[0]!);
    this.countCell.setQ(this.totals[1]!);
  }

  /** @internal */
  zero(): void {
    this.window.reset();
    this.totals.fill(0);
    this.dirty = true;
  }
}

type SummaryLabels<L extends string> = Partial<Record<L, string | number>>;

/**
 * prom-client's Summary: quantiles over all observations, or over a sliding window
 * (`maxAgeSeconds`, `ageBuckets`), plus `_sum` and `_count`. Across processes (the mmstats files,
 * `clusterMetrics`) only `_sum` and `_count` are summed, as in prometheus client_python's
 * multiprocess mode: quantiles of separate processes cannot be combined.
 */
export class Summary<L extends string = string> extends Metric<SummaryChild> {
  static readonly metricType = 'summary';
  readonly type: MetricType = 'summary';
  readonly percentiles: readonly number[];
  readonly maxAgeSeconds: number | undefined;
  readonly ageBuckets: number | undefined;
  readonly pruneAgedBuckets: boolean;
  private readonly quantileText: string[];

  constructor(config: SummaryConfiguration<L>) {
    super(config, ['quantile']);
    this.percentiles = Object.freeze(validatePercentiles(this.name, config.percentiles));
    this.maxAgeSeconds = positiveOrUndefined(this.name, 'maxAgeSeconds', config.maxAgeSeconds);
    this.ageBuckets = positiveOrUndefined(this.name, 'ageBuckets', config.ageBuckets);
    this.pruneAgedBuckets = config.pruneAgedBuckets === true;
    this.quantileText = this.percentiles.map(formatBound);
    this.init();
    this.store.addPublisher(() => {
      for (const series of this.series.all()) series.publish();
    });
  }

  observe(labelsOrValue: SummaryLabels<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'object') this.seriesFor(labelsOrValue as Labels).observe(value as number);
    else this.seriesFor(undefined).observe(labelsOrValue);
  }

  startTimer(labels?: SummaryLabels<L>): (endLabels?: SummaryLabels<L>) => number {
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

  labels(...values: [SummaryLabels<L>] | (string | number)[]): SummaryChild {
    return this.seriesForValues(values);
  }

  /** Drops the series whose window is empty (`pruneAgedBuckets`), then runs `collect`. */
  override collect(): void | Promise<void> {
    if (this.pruneAgedBuckets) {
      for (const series of [...this.series.all()]) {
        if (series.window.size() === 0) this.series.remove(this.labelObject(series));
      }
    }
    return super.collect();
  }

  override async get(): Promise<MetricJSON> {
    await this.collect();
    const values: MetricJSON['values'] = [];
    for (const series of this.series.all()) {
      const labels = this.labelObject(series);
      const quantiles = series.window.quantiles(this.percentiles);
      this.percentiles.forEach((quantile, i) => {
        values.push({ labels: { quantile, ...labels }, value: quantiles[i]! });
      });
      values.push({ metricName: `${this.name}_sum`, labels, value: series.getSum() });
      values.push({ metricName: `${this.name}_count`, labels, value: series.getCount() });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  sampleNames(): string[] {
    return [this.name, `${this.name}_sum`, `${this.name}_count`, `${this.name}_created`];
  }

  protected createSeries(_values: string[], labelText: string): SummaryChild {
    const sep = labelText === '' ? '' : ',';
    const quantileLabels = this.quantileText.map((q) => `${labelText}${sep}quantile="${q}"`);
    const sum = this.store.field(this.fieldLabel('_sum', labelText), 'd');
    const count = this.store.field(this.fieldLabel('_count', labelText), 'Q');
    const window = new QuantileWindow(this.maxAgeSeconds, this.ageBuckets);
    return new SummaryChild(labelText, quantileLabels, window, sum, count, this.name);
  }

  protected samplesOf(series: SummaryChild, out: Sample[]): void {
    const quantiles = series.window.quantiles(this.percentiles);
    series.quantileLabels.forEach((labels, i) => {
      out.push({ suffix: '', labels, value: quantiles[i]! });
    });
    out.push({ suffix: '_sum', labels: series.labelText, value: series.getSum() });
    out.push({ suffix: '_count', labels: series.labelText, value: series.getCount() });
  }

  protected seriesText(series: SummaryChild, name: string): string {
    const quantiles = series.window.quantiles(this.percentiles);
    let text = '';
    for (let i = 0; i < quantiles.length; i++)
      text += sampleLine(name, series.quantileLabels[i]!, quantiles[i]!);
    return (
      text +
      sampleLine(`${name}_sum`, series.labelText, series.getSum()) +
      sampleLine(`${name}_count`, series.labelText, series.getCount())
    );
  }

  protected resetSeries(series: SummaryChild): void {
    series.zero();
  }

  private labelObject(series: SummaryChild): Record<string, string> {
    const values = this.series.labelValues(series);
    const labels: Record<string, string> = {};
    this.labelNames.forEach((name, i) => {
      labels[name] = values[i]!;
    });
    return labels;
  }
}

function validatePercentiles(metric: string, percentiles: readonly number[] | undefined): number[] {
  if (percentiles === undefined) return [...DEFAULT_PERCENTILES];
  if (!Array.isArray(percentiles) || percentiles.some((p) => typeof p !== 'number' || !(p >= 0 && p <= 1))) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${metric}: percentiles ${JSON.stringify(percentiles)} must be numbers between 0 and 1, e.g. [0.5, 0.9, 0.99].`,
    );
  }
  return [...percentiles];
}

function positiveOrUndefined(metric: string, option: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${metric}: ${option} ${JSON.stringify(value)} must be a positive number (seconds for maxAgeSeconds, a count for ageBuckets).`,
    );
  }
  return value;
}
