import type { MetricType, Sample } from '../exposition/model.js';
import { sampleLine } from '../exposition/render.js';
import { isAscii } from '../exposition/writer.js';
import { Cell } from '../file-format/cell.js';
import type { MetricConfiguration } from './contracts.js';
import { type Exemplar, ExemplarStore, exemplarLabelsFor } from './exemplars.js';
import type { Labels } from './labels.js';
import { Metric } from './metric.js';
import { invalidValue } from './validation.js';

/**
 * A bound counter series: `inc` is one check and one store into the mmstats image. It is the cell
 * itself rather than a holder of one, which saves a load on the hottest path we have.
 */
export class CounterChild extends Cell {
  constructor(
    cell: Cell,
    readonly labelText: string,
    private readonly metric: string,
  ) {
    super(cell.u8, cell.dv, cell.off);
    this.ascii = isAscii(labelText);
  }

  readonly ascii: boolean;

  inc(value = 1): void {
    if (!(value >= 0 && value < Number.POSITIVE_INFINITY)) {
      throw invalidValue(
        this.metric,
        'counters only go up; refused increment',
        value,
        'Pass a finite number >= 0, or use a Gauge.',
      );
    }
    this.addD(value);
  }

  get(): number {
    return this.getD();
  }
}

/** prom-client's argument of `inc` on a counter with `enableExemplars`. */
export interface CounterExemplarIncrement<L extends string = string> {
  labels?: Partial<Record<L, string | number>>;
  value?: number;
  exemplarLabels?: Record<string, string | number>;
}

export class Counter<L extends string = string> extends Metric<CounterChild> {
  static readonly metricType = 'counter';
  readonly type: MetricType = 'counter';

  constructor(config: MetricConfiguration<L>) {
    super(config);
    if (config.enableExemplars === true) {
      this.exemplars = new ExemplarStore(this.name);
      this.inc = this.incWithExemplar as Counter<L>['inc'];
    }
    this.init();
  }

  /**
   * `inc()`, `inc(5)`, `inc({ route: '/a' })` or `inc({ route: '/a' }, 5)`. With `enableExemplars`,
   * prom-client's `inc({ labels, value, exemplarLabels })`.
   */
  inc(
    labelsOrValue?: Partial<Record<L, string | number>> | CounterExemplarIncrement<L> | number,
    value?: number,
  ): void {
    if (typeof labelsOrValue === 'object') this.seriesFor(labelsOrValue as Labels).inc(value);
    else this.seriesFor(undefined).inc(labelsOrValue);
  }

  private incWithExemplar(options?: CounterExemplarIncrement<L> | number): void {
    if (typeof options !== 'object') {
      this.seriesFor(undefined).inc(options);
      return;
    }
    const series = this.seriesFor(options.labels as Labels | undefined);
    series.inc(options.value);
    const labels = exemplarLabelsFor(options.exemplarLabels);
    if (labels !== undefined) this.exemplars!.record(series, 0, labels, options.value ?? 1);
  }

  /** The bound series: keep it and call `inc` on it in hot code. */
  labels(...values: [Partial<Record<L, string | number>>] | (string | number)[]): CounterChild {
    return this.seriesForValues(values);
  }

  sampleNames(): string[] {
    return [
      this.name,
      `${this.name.replace(/_total$/, '')}_total`,
      `${this.name.replace(/_total$/, '')}_created`,
    ];
  }

  protected createSeries(_values: string[], labelText: string): CounterChild {
    return new CounterChild(this.store.field(this.fieldLabel('', labelText), 'd'), labelText, this.name);
  }

  protected samplesOf(series: CounterChild, out: Sample[]): void {
    const sample: Sample = { suffix: '', labels: series.labelText, value: series.get() };
    if (this.exemplars !== undefined) sample.exemplar = this.exemplars.text(series, 0);
    out.push(sample);
  }

  protected override exemplarOf(series: CounterChild): Exemplar | undefined {
    return this.exemplars?.get(series, 0);
  }

  protected seriesText(series: CounterChild, name: string): string {
    return sampleLine(name, series.labelText, series.getD());
  }

  protected resetSeries(series: CounterChild): void {
    series.setD(0);
  }
}
