import { performance } from 'node:perf_hooks';
import { Counter, type CounterChild } from '../metrics/counter.js';
import { Gauge, type GaugeChild } from '../metrics/gauge.js';
import { Histogram, type HistogramChild } from '../metrics/histogram.js';
import type { Registry } from '../metrics/registry.js';
import type { ResolvedHttpOptions } from './options.js';

/**
 * nginx's "client closed request": the status recorded when the client went away before the
 * response ended (the status actually set by then was never delivered). Its class is 4XX.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * `method` label values by method index: the known methods as they are, then `_OTHER`, into which
 * any other method folds (OpenTelemetry's HTTP conventions).
 */
const METHOD_LABELS = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  '_OTHER',
];

function methodIndex(method: string): number {
  switch (method) {
    case 'GET':
      return 0;
    case 'HEAD':
      return 1;
    case 'POST':
      return 2;
    case 'PUT':
      return 3;
    case 'DELETE':
      return 4;
    case 'CONNECT':
      return 5;
    case 'OPTIONS':
      return 6;
    case 'TRACE':
      return 7;
    case 'PATCH':
      return 8;
    default:
      return 9;
  }
}

/** Status keys (a class 0-9, or an exact code 100-999) stay below this; see `seriesOf`. */
const STATUS_KEYS = 1000;
const CLASS_LABELS = ['0XX', '1XX', '2XX', '3XX', '4XX', '5XX', '6XX', '7XX', '8XX', '9XX'];
const LABEL_NAMES = ['method', 'route', 'status'];

/** Every bound series one finished request touches, created once per (method, route, status). */
class RequestSeries {
  constructor(
    readonly requests: CounterChild,
    readonly duration: HistogramChild,
    readonly requestSize: HistogramChild | null,
    readonly responseSize: HistogramChild | null,
  ) {}
}

/** (method, status) key -> series, or with custom labels, key -> value -> … -> series. */
type RouteNode = Map<number, RequestSeries | CustomNode>;
type CustomNode = Map<string, RequestSeries | CustomNode>;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Header value as a size in bytes, or -1 when absent or not a plain decimal. */
function contentLength(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value === '') return -1;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}

/** Sizes the histograms read, taken from raw Node messages (or anything with `headers`/`getHeader`). */
export interface SizedMessages {
  request?: { headers: Record<string, string | string[] | undefined> };
  response?: { getHeader(name: string): unknown };
}

/**
 * Framework-neutral request accounting: the adapters call `begin()` when a request arrives and
 * `end()` once when its response has ended or its connection closed. The hot path does two
 * Map lookups on values the framework already holds (the route template, then one number made of
 * the method and the status key) and writes bound series; it builds no strings and no label
 * objects. Series are created on the first request of each combination and cached here. Two
 * lookups rather than three nested Maps: fewer objects per request.
 */
export class HttpMetrics<Req = unknown> {
  readonly registry: Registry;
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly requestSize: Histogram | null;
  private readonly responseSize: Histogram | null;
  private readonly inFlight: GaugeChild;
  private readonly routes = new Map<string, RouteNode>();
  private readonly exact: boolean;
  private readonly unmatched: string;
  private readonly custom: ResolvedHttpOptions<Req>['customLabels'];
  private warned = false;

  constructor(readonly options: ResolvedHttpOptions<Req>) {
    const registry = options.registry;
    const prefix = options.prefix;
    const custom = options.customLabels?.names ?? [];
    const labelNames = [...LABEL_NAMES, ...custom];
    this.registry = registry;
    // getOrCreate: a second middleware on the same registry (tests, hot reload) shares the metrics.
    this.requests = registry.getOrCreate(Counter, {
      name: 'http_requests_total',
      help: 'HTTP requests completed, by method, route template and status (499: the client closed the connection first).',
      labelNames,
      prefix,
    });
    this.duration = registry.getOrCreate(Histogram, {
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, from arrival to the last byte of the response.',
      labelNames,
      prefix,
      unit: 'seconds',
      buckets: options.buckets,
    });
    this.requestSize = this.sizeHistogram('http_request_size_bytes', 'request body', options.requestSizes);
    this.responseSize = this.sizeHistogram(
      'http_response_size_bytes',
      'response body',
      options.responseSizes,
    );
    this.inFlight = registry
      .getOrCreate(Gauge, {
        name: 'http_requests_in_flight',
        help: 'HTTP requests being served now.',
        prefix,
      })
      .labels();
    this.exact = options.statusCodes === 'exact';
    this.unmatched = options.unmatchedRoute;
    this.custom = options.customLabels;
  }

  private sizeHistogram(name: string, what: string, buckets: readonly number[] | null): Histogram | null {
    if (buckets === null) return null;
    return this.options.registry.getOrCreate(Histogram, {
      name,
      help: `HTTP ${what} size in bytes, from its Content-Length.`,
      labelNames: [...LABEL_NAMES, ...(this.options.customLabels?.names ?? [])],
      prefix: this.options.prefix,
      unit: 'bytes',
      buckets,
    });
  }

  /** A request started: counts it in flight and returns its start time for `end`. */
  begin(): number {
    this.inFlight.addD(1);
    return performance.now();
  }

  /** A request `begin()` counted turned out not to be one to record (the endpoint, an excluded path). */
  cancel(): void {
    this.inFlight.addD(-1);
  }

  /**
   * The request is over: `status` is the status sent, or CLIENT_CLOSED_REQUEST when the client
   * left first; `route` is the matched template, undefined when no route matched. Never throws.
   */
  end(
    req: Req,
    method: string,
    route: string | undefined,
    status: number,
    start: number,
    sized?: SizedMessages,
  ): void {
    const seconds = (performance.now() - start) / 1000;
    this.inFlight.addD(-1);
    try {
      const series = this.seriesOf(req, method, route ?? this.unmatched, status);
      series.requests.addD(1);
      series.duration.observe(seconds);
      if (sized !== undefined) this.observeSizes(series, sized);
    } catch (error) {
      // Only reachable through a bug of ours; a request must never fail because of metrics.
      this.warnOnce(
        `recording a request failed (${describe(error)}); it was not counted. Please report this bug.`,
      );
    }
  }

  private observeSizes(series: RequestSeries, sized: SizedMessages): void {
    if (series.requestSize !== null && sized.request !== undefined) {
      const bytes = contentLength(sized.request.headers['content-length']);
      if (bytes >= 0) series.requestSize.observe(bytes);
    }
    if (series.responseSize !== null && sized.response !== undefined) {
      const bytes = contentLength(sized.response.getHeader('content-length'));
      if (bytes >= 0) series.responseSize.observe(bytes);
    }
  }

  /** Whether `end` wants the raw messages for size histograms (so adapters pass them only then). */
  get wantsSizes(): boolean {
    return this.requestSize !== null || this.responseSize !== null;
  }

  private seriesOf(req: Req, method: string, route: string, status: number): RequestSeries {
    let node = this.routes.get(route);
    if (node === undefined) {
      node = new Map();
      this.routes.set(route, node);
    }
    const m = methodIndex(method);
    const key = this.exact ? status : (status / 100) | 0;
    const at = m * STATUS_KEYS + key;
    if (this.custom !== null) return this.customSeries(req, node, at, METHOD_LABELS[m]!, route, key);
    return (
      (node.get(at) as RequestSeries | undefined) ??
      this.create(node, at, [METHOD_LABELS[m]!, route, this.statusLabel(key)])
    );
  }

  private statusLabel(key: number): string {
    return this.exact ? String(key) : (CLASS_LABELS[key] ?? `${key}XX`);
  }

  private customSeries(
    req: Req,
    node: RouteNode,
    first: number,
    method: string,
    route: string,
    key: number,
  ): RequestSeries {
    const values = this.customValues(req);
    let parent: Map<unknown, RequestSeries | CustomNode> = node;
    let at: unknown = first;
    for (const value of values) {
      let next = parent.get(at) as CustomNode | undefined;
      if (next === undefined) {
        next = new Map();
        parent.set(at, next);
      }
      parent = next;
      at = value;
    }
    const found = parent.get(at) as RequestSeries | undefined;
    return found ?? this.create(parent, at, [method, route, this.statusLabel(key), ...values]);
  }

  /** The custom label values of a request, guarded: a throwing callback gives "" for each. */
  private customValues(req: Req): string[] {
    const custom = this.custom!;
    // No framework request (Fastify's router answered before routing): nothing to read labels from.
    if (req === undefined) return custom.names.map(() => '');
    let record: Record<string, unknown> | undefined;
    try {
      record = custom.values(req);
    } catch (error) {
      this.warnOnce(
        `customLabels.values threw (${describe(error)}); the request was counted with every custom label "". Make the callback total: return a default instead of throwing.`,
      );
    }
    return custom.names.map((name) => {
      const value = record !== null && typeof record === 'object' ? record[name] : undefined;
      return value === undefined || value === null ? '' : String(value);
    });
  }

  private create(
    parent: Map<unknown, RequestSeries | CustomNode>,
    key: unknown,
    values: string[],
  ): RequestSeries {
    const series = new RequestSeries(
      this.requests.labels(...values),
      this.duration.labels(...values),
      this.requestSize?.labels(...values) ?? null,
      this.responseSize?.labels(...values) ?? null,
    );
    // A label set refused by the cardinality limit is not kept here either: custom label values
    // (a tenant header, say) would otherwise grow this cache without bound.
    if (!this.requests.isOverflow(series.requests) && !this.duration.isOverflow(series.duration))
      parent.set(key, series);
    return series;
  }

  /** One warning per accounting instance: enough to notice, never a flood on a busy server. */
  private warnOnce(message: string): void {
    if (this.warned) return;
    this.warned = true;
    process.emitWarning(`@mmstats: ${message} (shown once)`, { code: 'MMSTATS_HTTP_METRICS' });
  }
}
