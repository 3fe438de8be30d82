import { afterEach, describe, expect, it, vi } from 'vitest';
import { type HttpMetricsOptions, resolveHttpOptions } from '../../src/http/options.js';
import { CLIENT_CLOSED_REQUEST, HttpMetrics } from '../../src/http/request-metrics.js';
import { Registry } from '../../src/metrics/registry.js';

interface FakeRequest {
  tenant?: string;
}

function accounting(options: HttpMetricsOptions<FakeRequest> = {}) {
  const registry = new Registry({ storage: false });
  const metrics = new HttpMetrics(resolveHttpOptions<FakeRequest>({ ...options, registry }, 'test'));
  return { registry, metrics, text: () => registry.metrics() as string };
}

const lines = (text: string, name: string) =>
  text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));

describe('HttpMetrics', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('counts per method, route and status class, with duration and in-flight', () => {
    const { metrics, text } = accounting();
    const a = metrics.begin();
    const b = metrics.begin();
    expect(text()).toContain('http_requests_in_flight 2\n');
    metrics.end({}, 'GET', '/users/:id', 200, a);
    metrics.end({}, 'GET', '/users/:id', 204, b);
    metrics.end({}, 'POST', '/users/:id', 503, metrics.begin());
    metrics.end({}, 'GET', undefined, 404, metrics.begin());
    metrics.end({}, 'GET', '/slow', CLIENT_CLOSED_REQUEST, metrics.begin());
    expect(lines(text(), 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/users/:id",status="2XX"} 2',
      'http_requests_total{method="POST",route="/users/:id",status="5XX"} 1',
      'http_requests_total{method="GET",route="__unmatched__",status="4XX"} 1',
      'http_requests_total{method="GET",route="/slow",status="4XX"} 1',
    ]);
    expect(text()).toContain(
      'http_request_duration_seconds_count{method="GET",route="/users/:id",status="2XX"} 2\n',
    );
    expect(text()).toContain('http_requests_in_flight 0\n');
    expect(CLIENT_CLOSED_REQUEST).toBe(499);
  });

  it('records durations in seconds from begin to end', () => {
    const { metrics, text } = accounting({ buckets: [0.5, 2] });
    const now = vi.spyOn(performance, 'now');
    now.mockReturnValueOnce(1000).mockReturnValueOnce(2250);
    metrics.end({}, 'GET', '/a', 200, metrics.begin());
    expect(text()).toContain(
      'http_request_duration_seconds_sum{method="GET",route="/a",status="2XX"} 1.25\n',
    );
    expect(text()).toContain(
      'http_request_duration_seconds_bucket{method="GET",route="/a",status="2XX",le="2.0"} 1\n',
    );
    expect(text()).toContain(
      'http_request_duration_seconds_bucket{method="GET",route="/a",status="2XX",le="0.5"} 0\n',
    );
  });

  it('folds unknown methods into _OTHER and keeps the standard nine', () => {
    const { metrics, text } = accounting();
    for (const method of [
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'DELETE',
      'CONNECT',
      'OPTIONS',
      'TRACE',
      'PATCH',
      'PROPFIND',
      'get',
      'X',
    ])
      metrics.end({}, method, '/r', 200, metrics.begin());
    const methods = lines(text(), 'http_requests_total').map((l) => /method="([^"]+)"/.exec(l)?.[1]);
    expect(methods).toEqual([
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
    ]);
    expect(text()).toContain('http_requests_total{method="_OTHER",route="/r",status="2XX"} 3\n');
  });

  it('records exact status codes on request', () => {
    const { metrics, text } = accounting({ statusCodes: 'exact' });
    metrics.end({}, 'GET', '/r', 200, metrics.begin());
    metrics.end({}, 'GET', '/r', 201, metrics.begin());
    metrics.end({}, 'GET', '/r', 499, metrics.begin());
    expect(lines(text(), 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/r",status="200"} 1',
      'http_requests_total{method="GET",route="/r",status="201"} 1',
      'http_requests_total{method="GET",route="/r",status="499"} 1',
    ]);
  });

  it('creates each series once and reuses it', async () => {
    const { registry, metrics } = accounting();
    for (let i = 0; i < 100; i++) metrics.end({}, 'GET', `/r${i % 3}`, 200 + (i % 2), metrics.begin());
    const counter = registry.getSingleMetric('http_requests_total')!;
    expect((await counter.get()).values.map((v) => [v.labels.route, v.value])).toEqual([
      ['/r0', 34],
      ['/r1', 33],
      ['/r2', 33],
    ]);
  });

  it('adds custom labels per request; a throwing callback yields "" and one warning', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const { metrics, text } = accounting({
      customLabels: {
        names: ['tenant', 'plan'],
        values: (req) => {
          if (req.tenant === 'boom') throw new Error('lookup failed');
          return { tenant: req.tenant, plan: 3 };
        },
      },
    });
    metrics.end({ tenant: 'acme' }, 'GET', '/r', 200, metrics.begin());
    metrics.end({ tenant: 'acme' }, 'GET', '/r', 200, metrics.begin());
    metrics.end({}, 'GET', '/r', 200, metrics.begin());
    metrics.end({ tenant: 'boom' }, 'GET', '/r', 200, metrics.begin());
    metrics.end({ tenant: 'boom' }, 'GET', '/r', 500, metrics.begin());
    expect(lines(text(), 'http_requests_total')).toEqual([
      'http_requests_total{method="GET",route="/r",status="2XX",tenant="acme",plan="3"} 2',
      'http_requests_total{method="GET",route="/r",status="2XX",tenant="",plan="3"} 1',
      'http_requests_total{method="GET",route="/r",status="2XX",tenant="",plan=""} 1',
      'http_requests_total{method="GET",route="/r",status="5XX",tenant="",plan=""} 1',
    ]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('customLabels.values threw (lookup failed)');
  });

  it('observes request and response sizes from Content-Length, skipping unknown sizes', () => {
    const { metrics, text } = accounting({ requestSizes: true, responseSizes: { buckets: [10, 100] } });
    expect(metrics.wantsSizes).toBe(true);
    const response = (length: unknown) => ({ getHeader: () => length });
    metrics.end({}, 'POST', '/r', 200, metrics.begin(), {
      request: { headers: { 'content-length': '12' } },
      response: response(50),
    });
    metrics.end({}, 'POST', '/r', 200, metrics.begin(), {
      request: { headers: {} },
      response: response('7'),
    });
    metrics.end({}, 'POST', '/r', 200, metrics.begin(), {
      request: { headers: { 'content-length': 'x' } },
      response: response(undefined),
    });
    const labels = 'method="POST",route="/r",status="2XX"';
    expect(text()).toContain(`http_request_size_bytes_count{${labels}} 1\n`);
    expect(text()).toContain(`http_request_size_bytes_sum{${labels}} 12\n`);
    expect(text()).toContain(`http_response_size_bytes_count{${labels}} 2\n`);
    expect(text()).toContain(`http_response_size_bytes_bucket{${labels},le="10.0"} 1\n`);
    expect(accounting().metrics.wantsSizes).toBe(false);
  });

  it('shares metrics between two accountings of one registry, and refuses different labels', () => {
    const registry = new Registry({ storage: false });
    const one = new HttpMetrics(resolveHttpOptions({ registry }, 'test'));
    const two = new HttpMetrics(resolveHttpOptions({ registry }, 'test'));
    one.end({}, 'GET', '/r', 200, one.begin());
    two.end({}, 'GET', '/r', 200, two.begin());
    expect(registry.metrics()).toContain('http_requests_total{method="GET",route="/r",status="2XX"} 2\n');
    const custom = { names: ['tenant'], values: () => ({}) };
    expect(() => new HttpMetrics(resolveHttpOptions({ registry, customLabels: custom }, 'test'))).toThrow(
      /different kind, labels or buckets/,
    );
  });

  it('prefixes field labels and Prometheus names', () => {
    const { registry, metrics, text } = accounting({ prefix: 'web.stats.' });
    metrics.end({}, 'GET', '/r', 200, metrics.begin());
    expect(text()).toContain('web_stats_http_requests_total{method="GET",route="/r",status="2XX"} 1\n');
    expect(registry.getSingleMetric('web_stats_http_requests_in_flight')).toBeDefined();
  });
});
