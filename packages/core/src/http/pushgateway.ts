import { MetricsError } from '../errors.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import { LABEL_NAME } from '../metrics/validation.js';
import { type PushRequestOptions, type PushResult, pushRequest } from './pushgateway-transport.js';

export type { PushResult } from './pushgateway-transport.js';

export interface PushOptions {
  /** Required unless the gateway was made with `requireJobName: false`. */
  jobName?: string;
  /** Grouping labels, e.g. `{ instance: 'batch-7' }`. */
  groupings?: Record<string, string | number>;
}

/**
 * prom-client's options: everything but `requireJobName` is passed to `http.request` / `https.request`
 * (`timeout` in milliseconds, default 10,000; `headers`, with `'Content-Encoding': 'gzip'` to
 * compress the body; `agent`; `auth`; TLS options).
 */
export interface PushgatewayOptions extends PushRequestOptions {
  /** Default true: a push without `jobName` is refused. `false` pushes to `/metrics` itself. */
  requireJobName?: boolean;
}

/**
 * A grouping key path segment. Values that are empty or contain `/` cannot stand in a URL path
 * segment, so the Pushgateway accepts them base64url-encoded after `@base64`:
 * https://github.com/prometheus/pushgateway#url
 */
function segment(name: string, value: string): string {
  if (!LABEL_NAME.test(name)) {
    throw new MetricsError(
      'INVALID_LABEL_NAME',
      `Invalid Pushgateway grouping label ${JSON.stringify(name)}: use letters, digits and '_'.`,
    );
  }
  if (value === '' || value.includes('/'))
    return `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/**
 * Sends a registry to a Prometheus Pushgateway, for batch jobs that end before a scrape could
 * reach them. prom-client's API: `pushAdd` (POST, replaces only the pushed metric names), `push`
 * (PUT, replaces the whole group), `delete` (DELETE the group), each resolving `{ resp, body }`.
 * Requests go through `node:http` / `node:https`, so HTTP mocks and agents apply.
 */
export class Pushgateway {
  private readonly base: URL;
  private readonly requireJobName: boolean;
  private readonly requestOptions: PushRequestOptions;
  private readonly registry: Registry;

  constructor(url: string, options?: PushgatewayOptions | null, registry?: Registry | null) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MetricsError(
        'INVALID_OPTION',
        `Pushgateway URL ${JSON.stringify(url)} is not a URL: use e.g. "http://127.0.0.1:9091".`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new MetricsError(
        'INVALID_OPTION',
        `Pushgateway URL ${JSON.stringify(url)} must start with http:// or https://.`,
      );
    }
    this.base = parsed;
    const { requireJobName = true, ...requestOptions } = options ?? {};
    this.requireJobName = requireJobName;
    this.requestOptions = requestOptions;
    this.registry = registry ?? defaultRegistry();
  }

  pushAdd(params: PushOptions = {}): Promise<PushResult> {
    return this.send('POST', params);
  }

  push(params: PushOptions = {}): Promise<PushResult> {
    return this.send('PUT', params);
  }

  delete(params: PushOptions = {}): Promise<PushResult> {
    return this.send('DELETE', params);
  }

  /** Throws at once, as prom-client does, for a push without a job name. */
  private target(params: PushOptions): URL {
    const { jobName } = params ?? {};
    const hasJob = typeof jobName === 'string' && jobName !== '';
    if (!hasJob && this.requireJobName) {
      throw new MetricsError(
        'INVALID_OPTION',
        'Pushgateway: jobName is required, e.g. { jobName: "nightly-import" }, unless the Pushgateway was created with { requireJobName: false }.',
      );
    }
    const parts = hasJob ? [segment('job', jobName)] : [];
    if (hasJob)
      for (const [name, value] of Object.entries(params.groupings ?? {}))
        parts.push(segment(name, String(value)));
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const url = new URL(this.base.href);
    url.pathname = `${basePath}/metrics${parts.length === 0 ? '' : `/${parts.join('/')}`}`;
    return url;
  }

  private send(method: 'POST' | 'PUT' | 'DELETE', params: PushOptions): Promise<PushResult> {
    const url = this.target(params);
    if (method === 'DELETE') return pushRequest(method, url, this.requestOptions, undefined);
    return Promise.resolve(this.registry.metrics('text')).then((body) =>
      pushRequest(method, url, this.requestOptions, body),
    );
  }
}
