import { MetricsError } from '../errors.js';
import type { FamilySnapshot, MetricType, Sample } from '../exposition/model.js';
import { exposedFamilyName, familyHeader, sampleLine } from '../exposition/render.js';
import type { ExpositionWriter } from '../exposition/writer.js';
import { formatBound } from './buckets.js';
import type { MetricJSON, RegisteredMetric } from './contracts.js';
import { escapeLabelValue } from './labels.js';
import { validateMetricName } from './validation.js';

/**
 * What prom-client's `registry.registerMetric` accepts besides its own metric classes: any object
 * with a `name` and a `get()` giving `{ name, help, type, values }`, possibly asynchronously. This
 * is how prom-client users write custom collectors.
 */
export interface Collector {
  name: string;
  help?: string;
  type?: string;
  get(): MetricJSON | Promise<MetricJSON> | PromClientJSON | Promise<PromClientJSON>;
  reset?(): void;
  [key: string]: unknown;
}

/** `get()`'s result as prom-client's own type declares it (type may be any string). */
export interface PromClientJSON {
  name?: string;
  help?: string;
  type?: string;
  values?: readonly { value: number; labels?: Record<string, unknown>; metricName?: string }[];
}

const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Whether a metric is one of ours (or another copy of core's), rather than a plain collector. */
export function isRegisteredMetric(value: unknown): value is RegisteredMetric {
  return typeof (value as RegisteredMetric | null)?.sampleNames === 'function';
}

/** The labels of a JSON value as escaped pairs, in their order; `le` and `quantile` in canonical form. */
function labelPairs(labels: Record<string, unknown> | undefined): string {
  let out = '';
  for (const key in labels) {
    const value = labels[key];
    if (value === undefined) continue;
    const text =
      (key === 'le' || key === 'quantile') && typeof value === 'number' ? formatBound(value) : String(value);
    out += `${out === '' ? '' : ','}${key}="${escapeLabelValue(text)}"`;
  }
  return out;
}

/**
 * A plain collector as the registry holds it: at each scrape `collect()` calls its `get()` and
 * keeps the answer, which `render` then writes.
 */
export class CollectorMetric implements RegisteredMetric {
  readonly name: string;
  readonly labelNames: readonly string[] = [];
  private last: FamilySnapshot | undefined;

  constructor(readonly target: Collector) {
    if (target === null || typeof target !== 'object' || typeof target.get !== 'function') {
      throw new MetricsError(
        'INVALID_OPTION',
        'registerMetric() needs a metric or a collector object { name, help, type, get() }: the value given has no get() method.',
      );
    }
    validateMetricName(target.name);
    this.name = target.name;
  }

  get help(): string {
    return typeof this.target.help === 'string' && this.target.help !== '' ? this.target.help : this.name;
  }

  get type(): MetricType {
    const type = this.target.type;
    return typeof type === 'string' && TYPES.has(type) ? (type as MetricType) : 'untyped';
  }

  sampleNames(): string[] {
    return [this.name];
  }

  collect(): void | Promise<void> {
    const result = this.target.get();
    if (result !== null && typeof (result as Promise<unknown>).then === 'function') {
      return (result as Promise<PromClientJSON>).then((json) => {
        this.last = this.toSnapshot(json);
      });
    }
    this.last = this.toSnapshot(result as PromClientJSON);
  }

  get(): MetricJSON | Promise<MetricJSON> {
    return this.target.get() as MetricJSON | Promise<MetricJSON>;
  }

  snapshot(): FamilySnapshot {
    return this.last ?? { name: this.name, help: this.help, type: this.type, unit: '', samples: [] };
  }

  render(writer: ExpositionWriter, om: boolean): void {
    writer.write(familyText(this.snapshot(), om), false);
  }

  reset(): void {
    this.target.reset?.();
  }

  private toSnapshot(json: PromClientJSON | undefined): FamilySnapshot {
    const samples: Sample[] = [];
    for (const value of json?.values ?? []) {
      const metricName = value.metricName ?? this.name;
      const suffix = metricName.startsWith(this.name) ? metricName.slice(this.name.length) : '';
      samples.push({ suffix, labels: labelPairs(value.labels), value: Number(value.value) });
    }
    return { name: this.name, help: this.help, type: this.type, unit: '', samples };
  }
}

/** The exposition text of one family, as `Metric.render` writes it. */
export function familyText(family: FamilySnapshot, om: boolean): string {
  const name = exposedFamilyName(family.name, family.type, om);
  let text = familyHeader(name, family.help, family.type, family.unit, om);
  const counterSuffix = om && family.type === 'counter' ? '_total' : '';
  for (const sample of family.samples) {
    const line = sampleLine(name + (sample.suffix || counterSuffix), sample.labels, sample.value);
    text += om && sample.exemplar ? `${line.slice(0, -1)}${sample.exemplar}\n` : line;
  }
  return text;
}
