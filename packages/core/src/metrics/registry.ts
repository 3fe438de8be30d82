import { MetricsError } from '../errors.js';
import type { FamilySnapshot } from '../exposition/model.js';
import {
  contentTypeOf,
  type ExpositionFormat,
  exposedFamilyName,
  familyHeader,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  sampleLine,
} from '../exposition/render.js';
import { Slicer } from '../exposition/slicer.js';
import { ExpositionWriter, isAscii } from '../exposition/writer.js';
import { createStore, type StorageOptions, validateStorageOptions } from '../storage/create-store.js';
import type { StorageBackend, Store } from '../storage/store.js';
import { checkCardinalityLimit } from './cardinality.js';
import { type Collector, CollectorMetric, familyText, isRegisteredMetric } from './collector.js';
import type { RegisteredMetric as Metric, MetricJSON, RegistryLike } from './contracts.js';
import {
  DEFAULT_LABELS_FIELD,
  type DefaultLabels,
  defaultLabelsOf,
  jsonWithDefaultLabels,
  withDefaultLabels,
} from './default-labels.js';
import { HEALTH_FAMILY_NAMES, healthFamilies } from './health-metrics.js';

export interface RegistryOptions {
  /** mmstats file storage; `false` keeps values in process memory only. */
  storage?: StorageOptions | false;
  /** What `metrics()` renders by default, as prom-client's `new Registry(contentType)`. */
  contentType?: RegistryContentType;
  /** Label sets each metric of this registry keeps unless it sets its own; default 2000. */
  cardinalityLimit?: number;
}

export type RegistryContentType = typeof PROMETHEUS_CONTENT_TYPE | typeof OPENMETRICS_CONTENT_TYPE;

/** A metric class as `getOrCreate` needs it. */
export interface MetricClass<M extends Metric, C> {
  new (config: C): M;
  readonly metricType: string;
}

function describe(metric: Metric): string {
  // While a metric is being constructed its `type` field is not set yet; the class knows it.
  const type = metric.type ?? (metric.constructor as { metricType?: string }).metricType;
  return `${type} "${metric.name}" (help ${JSON.stringify(metric.help)}, labels [${metric.labelNames.join(', ')}])`;
}

/**
 * Holds metrics by name and renders them: each metric writes its own family (`Metric.render`),
 * the same text `renderExposition` gives for snapshots. Values live in the registry's store
 * (memory or an mmstats file).
 */
export class Registry implements RegistryLike {
  private readonly byName = new Map<string, Metric>();
  private readonly sampleOwner = new Map<string, Metric>();
  private storeInstance: Store | undefined;
  private format: ExpositionFormat = 'text';
  private lastScrapeBytes = 0;
  private scrapeBuffer: Buffer | undefined;
  private defaults: DefaultLabels | undefined;
  private defaultsWritten = false;
  private readonly options: RegistryOptions;

  readonly cardinalityLimit: number | undefined;

  static readonly PROMETHEUS_CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE;
  static readonly OPENMETRICS_CONTENT_TYPE = OPENMETRICS_CONTENT_TYPE;

  /** prom-client's `Registry.globalRegistry`: the default registry. */
  static get globalRegistry(): Registry {
    return defaultRegistry();
  }

  /** `new Registry()`, `new Registry({ storage, contentType })`, or prom-client's `new Registry(contentType)`. */
  constructor(options: RegistryOptions | RegistryContentType = {}) {
    this.options = typeof options === 'string' ? { contentType: options } : (options ?? {});
    validateStorageOptions(this.options.storage);
    this.cardinalityLimit = checkCardinalityLimit('Registry', this.options.cardinalityLimit);
    if (this.options.contentType !== undefined) this.setContentType(this.options.contentType);
  }

  /**
   * @internal The registry's own health families (storage backend, file liveness, storage
   * errors, refused label sets), written after the application's metrics.
   */
  healthFamilies(): FamilySnapshot[] {
    return healthFamilies(this.storeInstance, this.byName.values());
  }

  /** Created on first use, so a registry that never holds a metric never creates a file. */
  get store(): Store {
    if (this.storeInstance === undefined) {
      this.storeInstance = createStore(this.options.storage);
      this.writeDefaultLabels();
    }
    return this.storeInstance;
  }

  /** @internal The default labels, as `setDefaultLabels` took them (undefined ones left out). */
  get defaultLabelValues(): Readonly<Record<string, string>> {
    return this.defaults?.values ?? {};
  }

  /** Into the file too, so readers that combine files label this process's series as it does. */
  private writeDefaultLabels(): void {
    if (this.storeInstance === undefined || (this.defaults === undefined && !this.defaultsWritten)) return;
    this.storeInstance.staticString(DEFAULT_LABELS_FIELD, JSON.stringify(this.defaultLabelValues));
    this.defaultsWritten = true;
  }

  /**
   * Where values live: `'mmap'` (a shared mapping of an mmstats file), `'fallback'` (memory
   * written to the file every interval) or `'memory'` (storage off, or files could not be made).
   * Before the first metric makes a file it is the backend that file will use.
   */
  get storageBackend(): StorageBackend {
    return this.store.backend;
  }

  /** The mmstats files of this registry, first one first; empty in memory or after close() removed them. */
  get storageFiles(): readonly string[] {
    return this.storeInstance?.files ?? [];
  }

  /** Throws when `metric` would clash with a registered one, naming both. */
  assertCanRegister(metric: Metric): void {
    const existing = this.byName.get(metric.name);
    const clash =
      existing ??
      metric
        .sampleNames()
        .map((n) => this.sampleOwner.get(n))
        .find((m) => m !== undefined && m !== metric);
    if (existing === metric) return;
    if (HEALTH_FAMILY_NAMES.has(metric.name)) {
      throw new MetricsError(
        'DUPLICATE_METRIC',
        `Cannot register ${describe(metric)}: "${metric.name}" is one of the registry's own health metrics, which every scrape already shows. Choose another name.`,
      );
    }
    if (clash !== undefined) {
      throw new MetricsError(
        'DUPLICATE_METRIC',
        `Cannot register ${describe(metric)}: ${describe(clash)} is already registered${clash.name === metric.name ? ' under that name' : ' and its samples share names with it'}. ` +
          'Reuse it with registry.getOrCreate(), remove it with registry.removeSingleMetric(), or choose another name.',
      );
    }
  }

  /** A metric, or a prom-client style collector `{ name, help, type, get() }`. */
  registerMetric(metric: Metric | Collector): void {
    if (!isRegisteredMetric(metric)) {
      const existing = this.byName.get((metric as Collector)?.name);
      if (existing instanceof CollectorMetric && existing.target === metric) return;
      metric = new CollectorMetric(metric as Collector);
    }
    if (this.byName.get(metric.name) === metric) return;
    this.assertCanRegister(metric);
    this.byName.set(metric.name, metric);
    for (const sample of metric.sampleNames()) this.sampleOwner.set(sample, metric);
  }

  /**
   * The registered metric of that name when it has the same kind, labels and buckets; otherwise a
   * new one. For hot reload and tests, where the same module runs twice.
   */
  getOrCreate<
    M extends Metric,
    C extends { name: string; prefix?: string; labelNames?: readonly string[]; buckets?: readonly number[] },
  >(kind: MetricClass<M, C>, config: C): M {
    const name = (config.prefix ?? '').replace(/[^a-zA-Z0-9_:]/g, '_') + config.name;
    const existing = this.byName.get(name);
    if (existing === undefined) return new kind({ ...config, registers: [this] });
    const sameLabels = existing.labelNames.join('\0') === (config.labelNames ?? []).join('\0');
    const existingBuckets = (existing as unknown as { buckets?: readonly number[] }).buckets;
    const sameBuckets =
      config.buckets === undefined ||
      existingBuckets === undefined ||
      config.buckets.join() === existingBuckets.join();
    if (existing.type === kind.metricType && sameLabels && sameBuckets) return existing as M;
    throw new MetricsError(
      'DUPLICATE_METRIC',
      `getOrCreate(${kind.metricType} "${name}", labels [${(config.labelNames ?? []).join(', ')}]) found ${describe(existing)} with a different kind, labels or buckets. Use one definition for both, or another name.`,
    );
  }

  /** The metric of that name; for a collector, the object that was registered. */
  getSingleMetric(name: string): Metric | undefined {
    const metric = this.byName.get(name);
    return metric instanceof CollectorMetric ? (metric.target as unknown as Metric) : metric;
  }

  /** The text of one family, as prom-client's `getSingleMetricAsString`. */
  async getSingleMetricAsString(name: string): Promise<string> {
    const metric = this.byName.get(name);
    if (metric === undefined) {
      throw new MetricsError(
        'INVALID_OPTION',
        `getSingleMetricAsString(): no metric "${name}" is registered.`,
      );
    }
    await metric.collect();
    const text = familyText(this.withDefaults(metric.snapshot()), this.format === 'openmetrics');
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  }

  /**
   * Labels added to every series this registry renders (text, OpenMetrics and JSON), unless the
   * series has a label of that name. Also written to the mmstats files (one field), so the
   * cluster view, the CLI and `mmstats serve` add them to this process's series as well.
   */
  setDefaultLabels(labels: Record<string, string | number | undefined>): void {
    this.defaults = defaultLabelsOf(labels);
    this.writeDefaultLabels();
  }

  removeSingleMetric(name: string): void {
    const metric = this.byName.get(name);
    if (metric === undefined) return;
    this.byName.delete(name);
    for (const sample of metric.sampleNames())
      if (this.sampleOwner.get(sample) === metric) this.sampleOwner.delete(sample);
  }

  getMetricsAsArray(): Metric[] {
    return [...this.byName.values()];
  }

  /** Forgets every metric (their fields stay in the file until the process ends). */
  clear(): void {
    this.byName.clear();
    this.sampleOwner.clear();
    this.defaults = undefined;
  }

  resetMetrics(): void {
    for (const metric of this.byName.values()) metric.reset();
  }

  get contentType(): string {
    return contentTypeOf(this.format);
  }

  /** prom-client's switch between the text format and OpenMetrics for `metrics()`. */
  setContentType(contentType: RegistryContentType | string): void {
    if (contentType === PROMETHEUS_CONTENT_TYPE) this.format = 'text';
    else if (contentType === OPENMETRICS_CONTENT_TYPE) this.format = 'openmetrics';
    else {
      throw new MetricsError(
        'INVALID_OPTION',
        `Unsupported content type ${JSON.stringify(contentType)}: use "${PROMETHEUS_CONTENT_TYPE}" or "${OPENMETRICS_CONTENT_TYPE}".`,
      );
    }
  }

  /**
   * The exposition of every metric. A string when no collect callback is async, else a promise:
   * `await` works for both.
   */
  metrics(format: ExpositionFormat = this.format): string | Promise<string> {
    const pending: Promise<void>[] = [];
    for (const metric of this.byName.values()) {
      const result = metric.collect();
      if (result !== undefined && typeof (result as Promise<void>).then === 'function')
        pending.push(result as Promise<void>);
    }
    const render = () => {
      const om = format === 'openmetrics';
      // Sized from the last scrape, so a big one is not copied over and over while it grows.
      const writer = new ExpositionWriter(
        this.lastScrapeBytes + (this.lastScrapeBytes >>> 3),
        this.scrapeBuffer,
      );
      this.writeAll(writer, om);
      writeFamilies(writer, this.healthFamilies(), om);
      if (om) writer.write('# EOF\n', true);
      this.lastScrapeBytes = writer.bytes;
      this.scrapeBuffer = writer.storage.length <= KEEP_SCRAPE_BUFFER ? writer.storage : undefined;
      return writer.toString();
    };
    return pending.length === 0 ? render() : Promise.all(pending).then(render);
  }

  /**
   * The same text as `metrics()`, rendered in slices: at most a few milliseconds of work at a
   * time, yielding to the event loop in between, so a scrape of many series never stalls the
   * requests being served.
   */
  async metricsInSlices(format: ExpositionFormat = this.format): Promise<string> {
    return (await this.renderInSlices(format)).toString('utf8');
  }

  /**
   * `metricsInSlices` as UTF-8 bytes, which is what the metrics endpoint sends: a big scrape is
   * never turned into one long string (whose creation alone holds the loop for tens of ms).
   */
  async renderInSlices(format: ExpositionFormat = this.format): Promise<Buffer> {
    await Promise.all(Array.from(this.byName.values(), (m) => m.collect()));
    const om = format === 'openmetrics';
    // Not the kept buffer: another scrape may be writing into it while this one is paused.
    const writer = new ExpositionWriter(this.lastScrapeBytes + (this.lastScrapeBytes >>> 3));
    const slicer = new Slicer();
    for (const metric of [...this.byName.values()]) {
      if (this.defaults !== undefined) {
        this.writeWithDefaults(writer, metric, om);
        continue;
      }
      if (metric.seriesForRender === undefined || metric.renderPart === undefined) {
        metric.render(writer, om);
        continue;
      }
      const list = metric.seriesForRender();
      const step = 64;
      for (let from = 0; from === 0 || from < list.length; from += step) {
        metric.renderPart(writer, om, list, from, from + step);
        if (slicer.due(step)) await slicer.pause();
      }
    }
    writeFamilies(writer, this.healthFamilies(), om);
    if (om) writer.write('# EOF\n', true);
    this.lastScrapeBytes = writer.bytes;
    return writer.toBuffer();
  }

  /** Every family, with the default labels when there are any (then from snapshots, whole). */
  private writeAll(writer: ExpositionWriter, om: boolean): void {
    if (this.defaults === undefined) for (const metric of this.byName.values()) metric.render(writer, om);
    else for (const metric of this.byName.values()) this.writeWithDefaults(writer, metric, om);
  }

  private writeWithDefaults(writer: ExpositionWriter, metric: Metric, om: boolean): void {
    writer.write(familyText(withDefaultLabels(metric.snapshot(), this.defaults!), om), false);
  }

  /** Every metric's `get()` (which runs its `collect`), with the default labels added. */
  async getMetricsAsJSON(): Promise<MetricJSON[]> {
    const all = await Promise.all(Array.from(this.byName.values(), (m) => m.get()));
    const defaults = this.defaults;
    return defaults === undefined ? all : all.map((json) => jsonWithDefaultLabels(json, defaults));
  }

  private withDefaults<F extends Parameters<typeof withDefaultLabels>[0]>(family: F) {
    return this.defaults === undefined ? family : withDefaultLabels(family, this.defaults);
  }

  /** Flushes values to the file now (msync or write); a no-op in memory. */
  sync(): void {
    this.storeInstance?.sync();
  }

  /** Stops timers and removes this registry's files; metrics keep working in memory. */
  close(): void {
    this.storeInstance?.close();
  }

  /** One registry listing the metrics of several; clashing names throw. Values stay where they are. */
  static merge(registries: readonly Registry[]): Registry {
    const types = new Set(registries.map((r) => r.contentType));
    if (types.size > 1) {
      throw new MetricsError(
        'INVALID_OPTION',
        `Registry.merge(): the registries have different content types (${[...types].join(' and ')}). Call setContentType() on them so they match.`,
      );
    }
    const merged = new Registry({ storage: false });
    merged.format = registries[0]?.format ?? 'text';
    for (const registry of registries)
      for (const metric of registry.byName.values()) merged.registerMetric(metric);
    return merged;
  }
}

/** Writes snapshot families the way the metrics write themselves. */
function writeFamilies(writer: ExpositionWriter, families: readonly FamilySnapshot[], om: boolean): void {
  for (const family of families) {
    const name = exposedFamilyName(family.name, family.type, om);
    writer.write(familyHeader(name, family.help, family.type, family.unit, om), isAscii(family.help));
    const sampleName = om && family.type === 'counter' ? `${name}_total` : name;
    for (const sample of family.samples) {
      writer.write(
        sampleLine(sampleName + sample.suffix, sample.labels, sample.value),
        isAscii(sample.labels),
      );
    }
  }
}

/** Scrape buffers up to this size are kept for the next scrape; bigger ones are not held on to. */
const KEEP_SCRAPE_BUFFER = 16 * 1024 * 1024;

let defaultInstance: Registry | undefined;

/** The registry metrics join when `registers` is not given (prom-client's `register`). */
export function defaultRegistry(): Registry {
  defaultInstance ??= new Registry();
  return defaultInstance;
}
