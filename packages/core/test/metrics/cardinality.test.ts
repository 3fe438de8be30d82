import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentHttp } from '../../src/http.js';
import { Counter, Histogram, Registry } from '../../src/index.js';
import { warningsWithCode } from '../support/warnings.js';

/** Issue 19, "cardinality": a label-set limit per metric, an overflow series, a warning and a count. */
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const cardinalityWarnings = (run: () => void | Promise<void>) => warningsWithCode('MMSTATS_CARDINALITY', run);

describe('cardinality limit', () => {
  it('no cap: past 2,000 label sets (the default), new ones fold into one __overflow__ series', async () => {
    const registry = new Registry({ storage: false });
    const counter = new Counter({
      name: 'hits_total',
      help: 'h',
      labelNames: ['user', 'page'],
      registers: [registry],
    });
    const warnings = await cardinalityWarnings(() => {
      for (let i = 0; i < 5000; i++) counter.inc({ user: `u${i}`, page: 'p' });
      for (let i = 0; i < 2000; i++) counter.inc({ user: `u${i}`, page: 'p' });
    });
    const text = registry.metrics() as string;
    const series = text.split('\n').filter((line) => line.startsWith('hits_total{'));
    expect(series).toHaveLength(2001);
    expect(text).toContain('hits_total{user="u1999",page="p"} 2\n');
    expect(text).not.toContain('u2000');
    expect(text).toContain('hits_total{user="__overflow__",page="__overflow__"} 3000\n');
    expect(text).toContain('mmstats_series_refused_total{metric="hits_total"} 3000\n');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('hits_total reached its limit of 2000 label sets');
    expect(warnings[0]).toContain('Fix:');
    // Known label sets still reach their own series, the total is kept.
    const total = series.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(total).toBe(7000);
  });

  it('the limit is configurable per metric and per registry; Infinity turns it off', () => {
    const registry = new Registry({ storage: false, cardinalityLimit: 3 });
    const byRegistry = new Counter({ name: 'a_total', help: 'a', labelNames: ['k'], registers: [registry] });
    const own = new Histogram({
      name: 'b_seconds',
      help: 'b',
      labelNames: ['k'],
      buckets: [1],
      registers: [registry],
      cardinalityLimit: 5,
    });
    const none = new Counter({
      name: 'c_total',
      help: 'c',
      labelNames: ['k'],
      registers: [registry],
      cardinalityLimit: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < 10; i++) {
      byRegistry.inc({ k: i });
      own.observe({ k: i }, 0.5);
      none.inc({ k: i });
    }
    const text = registry.metrics() as string;
    expect(text.match(/^a_total\{/gm)).toHaveLength(4);
    expect(text.match(/^b_seconds_count\{/gm)).toHaveLength(6);
    expect(text.match(/^c_total\{/gm)).toHaveLength(10);
    expect(text).toContain('b_seconds_count{k="__overflow__"} 5');
    expect(
      () => new Counter({ name: 'd_total', help: 'd', registers: [registry], cardinalityLimit: 0 }),
    ).toThrow(/cardinalityLimit 0 must be a whole number of label sets, at least 1/);
    expect(() => new Registry({ cardinalityLimit: -1 })).toThrow(/INVALID|cardinalityLimit/);
  });

  it("the registry's own health names cannot be taken by a metric", () => {
    const registry = new Registry({ storage: false });
    expect(
      () => new Counter({ name: 'mmstats_series_refused_total', help: 'x', registers: [registry] }),
    ).toThrow(/one of the registry's own health metrics/);
  });

  it('the known label sets stay on the fast path: bound children are the same objects', () => {
    const registry = new Registry({ storage: false, cardinalityLimit: 2 });
    const counter = new Counter({ name: 'a_total', help: 'a', labelNames: ['k'], registers: [registry] });
    const first = counter.labels('x');
    counter.labels('y');
    const overflow = counter.labels('z');
    expect(counter.labels('x')).toBe(first);
    expect(counter.labels('w')).toBe(overflow);
  });

  it("customLabels from a request header with 20,000 tenants: bounded series, the adapter's cache too", async () => {
    const registry = new Registry({ storage: false, cardinalityLimit: 100 });
    const http = instrumentHttp<IncomingMessage>(
      {
        registry,
        processMetrics: false,
        customLabels: { names: ['tenant'], values: (req) => ({ tenant: String(req.headers['x-tenant']) }) },
      },
      'cardinality',
    );
    const tracker = http.createTracker<IncomingMessage>((req, _res, status, start) =>
      http.metrics.end(req, 'GET', '/t', status, start),
    );
    const server = createServer((req, res) => {
      tracker.track(req, res, req, http.metrics.begin());
      res.end('ok');
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/t`;
    const warnings = await cardinalityWarnings(async () => {
      for (let i = 0; i < 400; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, (_, k) => fetch(url, { headers: { 'x-tenant': `t${i + k}` } })),
        );
      // Fed straight to the accounting: the same path, without 20,000 sockets.
      for (let i = 400; i < 20_000; i++) {
        const req = { headers: { 'x-tenant': `t${i}` } } as unknown as IncomingMessage;
        http.metrics.end(req, 'GET', '/t', 200, http.metrics.begin());
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const text = registry.metrics() as string;
    expect(text.match(/^http_requests_total\{/gm)).toHaveLength(101);
    expect(text).toContain(
      'http_requests_total{method="__overflow__",route="__overflow__",status="__overflow__",tenant="__overflow__"} 19900',
    );
    expect(text.length).toBeLessThan(200_000);
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    const routes = (http.metrics as unknown as { routes: Map<string, Map<number, Map<string, unknown>>> })
      .routes;
    const cached = [...routes.get('/t')!.values()][0]!;
    expect(cached.size).toBeLessThanOrEqual(100);
  });
});
