import { MetricsError } from '../errors.js';
import { PROMETHEUS_CONTENT_TYPE } from '../exposition/render.js';
import { defaultRegistry, type Registry } from '../metrics/registry.js';
import { LABEL_NAME } from '../metrics/validation.js';

export interface PushOptions {
  jobName: string;
  /** Grouping labels, e.g. `{ instance: 'batch-7' }`. */
  groupings?: Record<string, string>;
}

export interface PushgatewayOptions {
  /** Extra request headers, e.g. `{ authorization: 'Bearer …' }`. */
  headers?: Record<string, string>;
  /** Milliseconds before a push is abandoned; default 10,000. */
  timeout?: number;
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
 * reach them. Same verbs as prom-client: `pushAdd` (POST, replaces only the pushed metric names),
 * `push` (PUT, replaces the whole group), `delete` (DELETE the group).
 */
export class Pushgateway {
  private readonly base: string;

  constructor(
    url: string,
    private readonly options: PushgatewayOptions = {},
    private readonly registry: Registry = defaultRegistry(),
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new MetricsError(
        'INVALID_OPTION',
        `Pushgateway URL ${JSON.stringify(url)} is not a URL: use e.g. "http://127.0.0.1:9091".`,
      );
    }
    this.base = parsed.href.replace(/\/+$/, '');
  }

  pushAdd(params: PushOptions): Promise<void> {
    return this.send('POST', params, true);
  }

  push(params: PushOptions): Promise<void> {
    return this.send('PUT', params, true);
  }

  delete(params: PushOptions): Promise<void> {
    return this.send('DELETE', params, false);
  }

  private groupPath(params: PushOptions): string {
    if (typeof params?.jobName !== 'string' || params.jobName === '') {
      throw new MetricsError(
        'INVALID_OPTION',
        'Pushgateway: jobName is required, e.g. { jobName: "nightly-import" }.',
      );
    }
    const parts = [segment('job', params.jobName)];
    for (const [name, value] of Object.entries(params.groupings ?? {}))
      parts.push(segment(name, String(value)));
    return `${this.base}/metrics/${parts.join('/')}`;
  }

  private async send(method: string, params: PushOptions, withBody: boolean): Promise<void> {
    const url = this.groupPath(params);
    const body = withBody ? await this.registry.metrics('text') : undefined;
    const headers: Record<string, string> = { ...this.options.headers };
    if (withBody) headers['content-type'] = PROMETHEUS_CONTENT_TYPE;
    const response = await fetch(url, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(this.options.timeout ?? 10_000),
    });
    if (!response.ok) {
      const text = (await response.text()).trim();
      throw new MetricsError(
        'INVALID_OPTION',
        `Pushgateway ${method} ${url} answered ${response.status}: ${text || response.statusText}`,
      );
    }
    await response.arrayBuffer().catch(() => undefined);
  }
}
