import { MetricsError } from '../errors.js';
import { DEFAULT_BUCKETS, exponentialBuckets, validateBuckets } from '../metrics/buckets.js';
import { defaultRegistry, Registry } from '../metrics/registry.js';
import { validateLabelNames } from '../metrics/validation.js';
import { isRestartedWorker, type StorageOptions } from '../storage/create-store.js';

/**
 * Who may read the metrics endpoint: a bearer token, basic credentials, or a predicate given the
 * framework's request (Express `req`, Fastify `request`, Koa `ctx`; a Node `IncomingMessage`
 * for `startMetricsServer`). A predicate that throws or rejects denies the request.
 */
export type MetricsAuth<Req = unknown> =
  | { bearer: string }
  | { basic: { username: string; password: string } }
  | ((req: Req) => boolean | Promise<boolean>);

/** Extra labels on the request metrics, computed once per request when the response ends. */
export interface CustomLabels<Req = unknown> {
  names: readonly string[];
  /**
   * Values by name; missing names get "". Guarded: if it throws, the request is still counted
   * with every custom label "" and a warning is emitted once.
   */
  values: (req: Req) => Record<string, string | number | boolean | undefined | null>;
}

/** Request or response size histograms; `true` uses byte buckets 64 B to 4 MiB (×4). */
export type SizeHistogramOption = boolean | { buckets?: readonly number[] };

/**
 * Options of `@mmstats/express`, `@mmstats/fastify` and `@mmstats/koa`: the same for all three,
 * checked once when the middleware or plugin is created. `Req` is the framework's request object.
 */
export interface HttpMetricsOptions<Req = unknown> {
  /** mmstats label prefix such as `web.stats.`; Prometheus names get it as `web_stats_`. */
  prefix?: string;
  /** Duration buckets in seconds; default DEFAULT_BUCKETS (OpenTelemetry's HTTP set). */
  buckets?: readonly number[];
  /** Path of the metrics endpoint; `false` serves none (see `startMetricsServer`). Default `/metrics`. */
  path?: string | false;
  /** Request paths (query string ignored) to leave uncounted, or a predicate returning true to skip. */
  exclude?: readonly string[] | ((req: Req) => boolean);
  customLabels?: CustomLabels<Req>;
  /** Registry to record into and serve; default the default registry. */
  registry?: Registry;
  /** Storage of the registry the adapter creates when `registry` is not given; `false` = memory only. */
  storage?: StorageOptions | false;
  /**
   * Default process metrics (`process_cpu_seconds_total`, …) on the registry. Default true.
   * `{ names: 'promtool' }`: with names that pass `promtool check metrics` (see collectDefaultMetrics).
   */
  processMetrics?: boolean | { names?: 'prom-client' | 'promtool' };
  /** `status` label: the class (`2XX`, default) or the exact code (`200`). */
  statusCodes?: 'class' | 'exact';
  /** `http_request_size_bytes`, from the request's Content-Length (requests without one are not observed). */
  requestSizes?: SizeHistogramOption;
  /** `http_response_size_bytes`, from the response's Content-Length (responses without one are not observed). */
  responseSizes?: SizeHistogramOption;
  /** Protects the metrics endpoint. */
  auth?: MetricsAuth<Req>;
  /** `route` of requests that matched no route (404s, scanners). Default `__unmatched__`. */
  unmatchedRoute?: string;
  /**
   * Serve the sum over the mmstats files of every worker of this program instead of this process'
   * registry alone (see `clusterMetrics`). Default: true in a Node cluster or PM2 worker.
   */
  aggregate?: boolean;
}

/** Options after validation and defaults; what the accounting and the endpoint read. */
export interface ResolvedHttpOptions<Req = unknown> {
  prefix: string;
  buckets: readonly number[];
  path: string | null;
  excludePaths: ReadonlySet<string> | null;
  excludeFn: ((req: Req) => boolean) | null;
  customLabels: CustomLabels<Req> | null;
  registry: Registry;
  processMetrics: boolean;
  processMetricNames: 'prom-client' | 'promtool';
  statusCodes: 'class' | 'exact';
  requestSizes: readonly number[] | null;
  responseSizes: readonly number[] | null;
  auth: MetricsAuth<Req> | null;
  unmatchedRoute: string;
  aggregate: boolean;
}

export const DEFAULT_UNMATCHED_ROUTE = '__unmatched__';
export const DEFAULT_SIZE_BUCKETS: readonly number[] = Object.freeze(exponentialBuckets(64, 4, 9));

const KNOWN_OPTIONS = new Set([
  'prefix',
  'buckets',
  'path',
  'exclude',
  'customLabels',
  'registry',
  'storage',
  'processMetrics',
  'statusCodes',
  'requestSizes',
  'responseSizes',
  'auth',
  'unmatchedRoute',
  'aggregate',
]);

function invalid(adapter: string, message: string): MetricsError {
  return new MetricsError('INVALID_OPTION', `${adapter}: ${message}`);
}

/** Runs a core validator, prefixing its refusal with the adapter and option names (code kept). */
function within<T>(adapter: string, option: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof MetricsError)
      throw new MetricsError(error.code, `${adapter}: ${option}: ${error.message}`);
    throw error;
  }
}

function resolvePath(adapter: string, path: unknown): string | null {
  if (path === undefined) return '/metrics';
  if (path === false) return null;
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw invalid(
      adapter,
      `path ${JSON.stringify(path)} must be a string starting with "/" without "?", "#" or spaces (like "/metrics"), or false for no endpoint.`,
    );
  }
  return path;
}

function resolveRegistry(adapter: string, registry: unknown, storage: unknown): Registry {
  if (registry !== undefined) {
    // Duck-typed rather than instanceof: a registry from another copy of core must work too.
    if (registry === null || typeof (registry as Registry).metrics !== 'function') {
      throw invalid(adapter, 'registry must be a Registry from @mmstats/core (new Registry()).');
    }
    if (storage !== undefined) {
      throw invalid(
        adapter,
        'storage is used only when the adapter creates the registry; with your own registry pass it there: new Registry({ storage }).',
      );
    }
    return registry as Registry;
  }
  if (storage === undefined) return defaultRegistry();
  if (storage !== false && (storage === null || typeof storage !== 'object')) {
    throw invalid(
      adapter,
      `storage must be false or { directory?: string }, got ${JSON.stringify(storage)}.`,
    );
  }
  return new Registry({ storage: storage as StorageOptions | false });
}

function resolveExclude<Req>(
  adapter: string,
  exclude: unknown,
): Pick<ResolvedHttpOptions<Req>, 'excludePaths' | 'excludeFn'> {
  if (exclude === undefined) return { excludePaths: null, excludeFn: null };
  if (typeof exclude === 'function')
    return { excludePaths: null, excludeFn: exclude as (req: Req) => boolean };
  if (Array.isArray(exclude) && exclude.every((p) => typeof p === 'string' && p.startsWith('/'))) {
    return { excludePaths: exclude.length === 0 ? null : new Set(exclude as string[]), excludeFn: null };
  }
  throw invalid(
    adapter,
    `exclude must be an array of paths starting with "/" (like ["/health"]) or a function (req) => boolean, got ${JSON.stringify(exclude)}.`,
  );
}

function resolveCustomLabels<Req>(adapter: string, custom: unknown): CustomLabels<Req> | null {
  if (custom === undefined) return null;
  const c = custom as CustomLabels<Req>;
  if (c === null || typeof c !== 'object' || typeof c.values !== 'function' || !Array.isArray(c.names)) {
    throw invalid(
      adapter,
      'customLabels must be { names: string[], values: (req) => ({ name: value }) }, e.g. { names: ["tenant"], values: (req) => ({ tenant: req.headers["x-tenant"] }) }.',
    );
  }
  const names = within(adapter, 'customLabels.names', () =>
    validateLabelNames('http_requests_total', c.names, ['method', 'route', 'status', 'le']),
  );
  return { names: Object.freeze(names), values: c.values };
}

function resolveAuth<Req>(adapter: string, auth: unknown): MetricsAuth<Req> | null {
  if (auth === undefined) return null;
  if (typeof auth === 'function') return auth as MetricsAuth<Req>;
  const a = auth as { bearer?: unknown; basic?: { username?: unknown; password?: unknown } };
  if (a !== null && typeof a === 'object') {
    if (typeof a.bearer === 'string' && a.bearer !== '' && a.basic === undefined) return { bearer: a.bearer };
    const b = a.basic;
    if (
      a.bearer === undefined &&
      b !== null &&
      typeof b === 'object' &&
      typeof b.username === 'string' &&
      !b.username.includes(':') &&
      typeof b.password === 'string'
    ) {
      return { basic: { username: b.username, password: b.password } };
    }
  }
  throw invalid(
    adapter,
    'auth must be { bearer: "token" }, { basic: { username, password } } (username without ":") or a function (req) => boolean.',
  );
}

function resolveSizes(adapter: string, name: string, option: unknown): readonly number[] | null {
  if (option === undefined || option === false) return null;
  if (option === true) return DEFAULT_SIZE_BUCKETS;
  if (option !== null && typeof option === 'object') {
    const buckets = (option as { buckets?: readonly number[] }).buckets;
    return buckets === undefined
      ? DEFAULT_SIZE_BUCKETS
      : within(adapter, name, () => validateBuckets(name, buckets));
  }
  throw invalid(
    adapter,
    `${name} must be true, false or { buckets: number[] }, got ${JSON.stringify(option)}.`,
  );
}

function resolveChoice<T extends string>(adapter: string, name: string, value: unknown, choices: T[]): T {
  if (value === undefined) return choices[0]!;
  if (choices.includes(value as T)) return value as T;
  throw invalid(
    adapter,
    `${name} must be ${choices.map((c) => JSON.stringify(c)).join(' or ')}, got ${JSON.stringify(value)}.`,
  );
}

function resolveBoolean(adapter: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  throw invalid(adapter, `${name} must be true or false, got ${JSON.stringify(value)}.`);
}

function resolveProcessMetrics(
  adapter: string,
  value: unknown,
): { processMetrics: boolean; processMetricNames: 'prom-client' | 'promtool' } {
  if (value !== null && typeof value === 'object') {
    const names = (value as { names?: unknown }).names ?? 'prom-client';
    const unknown = Object.keys(value).filter((key) => key !== 'names');
    if ((names !== 'prom-client' && names !== 'promtool') || unknown.length > 0) {
      throw invalid(
        adapter,
        `processMetrics must be true, false or { names: 'prom-client' | 'promtool' }, got ${JSON.stringify(value)}.`,
      );
    }
    return { processMetrics: true, processMetricNames: names };
  }
  return {
    processMetrics: resolveBoolean(adapter, 'processMetrics', value, true),
    processMetricNames: 'prom-client',
  };
}

function resolveUnmatched(adapter: string, value: unknown): string {
  if (value === undefined) return DEFAULT_UNMATCHED_ROUTE;
  if (typeof value === 'string' && value !== '') return value;
  throw invalid(adapter, `unmatchedRoute must be a non-empty string, got ${JSON.stringify(value)}.`);
}

/**
 * Validates adapter options once, at creation, so that nothing on the request path can throw
 * for a bad option. `adapter` names the package in messages, e.g. "@mmstats/express".
 */
export function resolveHttpOptions<Req>(
  options: HttpMetricsOptions<Req> | undefined,
  adapter: string,
): ResolvedHttpOptions<Req> {
  const o = (options ?? {}) as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || Array.isArray(o)) {
    throw invalid(adapter, `options must be an object, got ${JSON.stringify(options)}.`);
  }
  for (const key of Object.keys(o)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw invalid(adapter, `unknown option "${key}". Known options: ${[...KNOWN_OPTIONS].join(', ')}.`);
    }
  }
  const prefix = o.prefix ?? '';
  if (typeof prefix !== 'string') {
    throw invalid(adapter, `prefix must be a string like "web.stats.", got ${JSON.stringify(prefix)}.`);
  }
  return {
    prefix,
    buckets:
      o.buckets === undefined
        ? DEFAULT_BUCKETS
        : within(adapter, 'buckets', () =>
            validateBuckets('http_request_duration_seconds', o.buckets as number[]),
          ),
    path: resolvePath(adapter, o.path),
    ...resolveExclude<Req>(adapter, o.exclude),
    customLabels: resolveCustomLabels<Req>(adapter, o.customLabels),
    registry: resolveRegistry(adapter, o.registry, o.storage),
    ...resolveProcessMetrics(adapter, o.processMetrics),
    statusCodes: resolveChoice(adapter, 'statusCodes', o.statusCodes, ['class', 'exact']),
    requestSizes: resolveSizes(adapter, 'requestSizes', o.requestSizes),
    responseSizes: resolveSizes(adapter, 'responseSizes', o.responseSizes),
    auth: resolveAuth<Req>(adapter, o.auth),
    unmatchedRoute: resolveUnmatched(adapter, o.unmatchedRoute),
    aggregate: resolveBoolean(adapter, 'aggregate', o.aggregate, isRestartedWorker()),
  };
}
