import type { IncomingMessage } from 'node:http';
import { isMetricsError } from '../errors.js';
import { clusterMetrics } from '../file-reader/cluster-metrics.js';
import type { Registry } from '../metrics/registry.js';
import { collectDefaultMetrics, keepProcessMetricsFresh } from '../process-metrics/collect.js';
import { createMetricsEndpoint, type MetricsRequest, type MetricsResponse, pathOf } from './endpoint.js';
import { canonicalEndpointUrl, isEndpointTarget } from './endpoint-path.js';
import { type HttpMetricsOptions, type ResolvedHttpOptions, resolveHttpOptions } from './options.js';
import { HttpMetrics } from './request-metrics.js';
import { type ResponseDone, type ResponseSlot, ResponseTracker } from './response-tracker.js';

/**
 * Everything an adapter needs, built once from validated options: the accounting, the endpoint
 * and the checks that decide which requests to leave out.
 */
export interface HttpInstrumentation<Req = unknown> {
  readonly options: ResolvedHttpOptions<Req>;
  readonly registry: Registry;
  readonly metrics: HttpMetrics<Req>;
  /** Path of the metrics endpoint, or null when the adapter serves none. */
  readonly path: string | null;
  /**
   * Whether a request URL (query included) is the metrics endpoint: its path, also
   * percent-encoded (`/%6detrics`) or in absolute form (`http://host/metrics`). Never counted.
   */
  isEndpoint(url: string): boolean;
  /** For a URL `isEndpoint` accepts: the endpoint's plain spelling, for routers that compare raw paths. */
  endpointUrl(url: string): string;
  /** Whether `exclude` leaves this request out; a throwing predicate counts the request. */
  isExcluded(url: string, req: Req): boolean;
  /** Answers the metrics endpoint; never rejects. */
  serve(request: MetricsRequest<Req>): Promise<MetricsResponse>;
  /** A tracker that calls `done` once per tracked request, when its response ended or its client left. */
  createTracker<Ctx>(done: ResponseDone<Ctx>): ResponseTracker<Ctx>;
  /** The connection slot tracking `req` now, for adapters that keep per-request data there. */
  slotOf(req: IncomingMessage): ResponseSlot | undefined;
  /** Stops tracking `req` in its slot without reporting it; false when no slot tracked it. */
  untrack(req: IncomingMessage): boolean;
}

/** Registries that already have the default process metrics, by prefix, so a second app does not clash. */
const withProcessMetrics = new WeakMap<Registry, Set<string>>();

function ensureProcessMetrics(registry: Registry, prefix: string, names: 'prom-client' | 'promtool'): void {
  const prefixes = withProcessMetrics.get(registry) ?? new Set<string>();
  withProcessMetrics.set(registry, prefixes);
  if (prefixes.has(prefix)) return;
  prefixes.add(prefix);
  try {
    collectDefaultMetrics({ register: registry, prefix, names });
  } catch (error) {
    // Registered earlier by the application itself: those are the same metrics, keep them.
    if (!(isMetricsError(error) && error.code === 'DUPLICATE_METRIC')) throw error;
  }
}

/** Validates `options` and builds the instrumentation; `adapter` names the package in errors. */
export function instrumentHttp<Req>(
  options: HttpMetricsOptions<Req> | undefined,
  adapter: string,
): HttpInstrumentation<Req> {
  const resolved = resolveHttpOptions(options, adapter);
  const metrics = new HttpMetrics<Req>(resolved);
  if (resolved.processMetrics)
    ensureProcessMetrics(resolved.registry, resolved.prefix, resolved.processMetricNames);
  if (resolved.processMetrics && resolved.registry.storageBackend !== 'memory')
    keepProcessMetricsFresh(resolved.registry);
  const path = resolved.path;
  const { excludePaths, excludeFn } = resolved;
  return {
    options: resolved,
    registry: resolved.registry,
    metrics,
    path,
    isEndpoint: path === null ? () => false : (url) => isEndpointTarget(url, path),
    endpointUrl: (url) => (path === null ? url : canonicalEndpointUrl(url, path)),
    isExcluded: (url, req) => {
      if (excludePaths?.has(pathOf(url))) return true;
      if (excludeFn === null) return false;
      try {
        return excludeFn(req) === true;
      } catch {
        return false;
      }
    },
    serve: createMetricsEndpoint<Req>({
      registry: resolved.aggregate ? clusterMetrics(resolved.registry) : resolved.registry,
      auth: resolved.auth,
    }),
    createTracker: (done) => new ResponseTracker(done),
    slotOf: (req) => ResponseTracker.slotOf(req),
    untrack: (req) => ResponseTracker.untrack(req),
  };
}
