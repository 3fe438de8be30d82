import type { MetricType, Sample } from '../exposition/model.js';
import { sampleLine } from '../exposition/render.js';
import { isAscii } from '../exposition/writer.js';
import { Cell } from '../file-format/cell.js';
import type { MetricConfiguration } from './contracts.js';
import { type Labels, mergeLabels } from './labels.js';
import { Metric } from './metric.js';
import { timerRecording } from './stopwatch.js';
import { invalidValue } from './validation.js';

/** A bound gauge series; like CounterChild it is its own cell. */
export class GaugeChild extends Cell {
  constructor(
    cell: Cell,
    readonly labelText: string,
    private readonly metric: string,
  ) {
    super(cell.u8, cell.dv, cell.off);
    this.ascii = isAscii(labelText);
  }

  readonly ascii: boolean;

  set(value: number): void {
    if (typeof value !== 'number')
      throw invalidValue(this.metric, 'gauge value must be a number, got', typeof value, 'Pass a number.');
    this.setD(value);
  }

  inc(value = 1): void {
    if (typeof value !== 'number')
      throw invalidValue(this.metric, 'increment must be a number, got', typeof value, 'Pass a number.');
    this.addD(value);
  }

  dec(value = 1): void {
    if (typeof value !== 'number')
      throw invalidValue(this.metric, 'decrement must be a number, got', typeof value, 'Pass a number.');
    this.addD(-value);
  }

  setToCurrentTime(): void {
    this.setD(Date.now() / 1000);
  }

  /** Returns a function that sets the gauge to the seconds elapsed since now, and returns them. */
  startTimer(): () => number {
    return timerRecording((seconds) => this.setD(seconds));
  }

  get(): number {
    return this.getD();
  }
}

type GaugeLabels<L extends string> = Partial<Record<L, string | number>>;

export class Gauge<L extends string = string> extends Metric<GaugeChild> {
  static readonly metricType = 'gauge';
  readonly type: MetricType = 'gauge';

  constructor(config: MetricConfiguration<L>) {
    super(config);
    this.init();
  }

  set(labelsOrValue: GaugeLabels<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'object') this.seriesFor(labelsOrValue as Labels).set(value as number);
    else this.seriesFor(undefined).set(labelsOrValue);
  }

  inc(labelsOrValue?: GaugeLabels<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'object') this.seriesFor(labelsOrValue as Labels).inc(value);
    else this.seriesFor(undefined).inc(labelsOrValue);
  }

  dec(labelsOrValue?: GaugeLabels<L> | number, value?: number): void {
    if (typeof labelsOrValue === 'object') this.seriesFor(labelsOrValue as Labels).dec(value);
    else this.seriesFor(undefined).dec(labelsOrValue);
  }

  setToCurrentTime(labels?: GaugeLabels<L>): void {
    this.seriesFor(labels as Labels | undefined).setToCurrentTime();
  }

  /** Timer whose end sets the gauge; labels may be given at start, at end, or both. */
  startTimer(labels?: GaugeLabels<L>): (endLabels?: GaugeLabels<L>) => number {
    // One closure per timer: the clock is read through the global, as stopwatch.ts explains.
    const clock = globalThis.performance;
    const start = clock.now();
    return (endLabels) => {
      const seconds = (clock.now() - start) / 1000;
      this.seriesFor(mergeLabels(labels as Labels | undefined, endLabels as Labels | undefined)).set(seconds);
      return seconds;
    };
  }

  labels(...values: [GaugeLabels<L>] | (string | number)[]): GaugeChild {
    return this.seriesForValues(values);
  }

  sampleNames(): string[] {
    return [this.name];
  }

  protected createSeries(_values: string[], labelText: string): GaugeChild {
    return new GaugeChild(this.store.field(this.fieldLabel('', labelText), 'd'), labelText, this.name);
  }

  protected samplesOf(series: GaugeChild, out: Sample[]): void {
    out.push({ suffix: '', labels: series.labelText, value: series.get() });
  }

  protected seriesText(series: GaugeChild, name: string): string {
    return sampleLine(name, series.labelText, series.getD());
  }

  protected resetSeries(series: GaugeChild): void {
    series.set(0);
  }
}
