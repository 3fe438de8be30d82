import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMetricsError, Registry } from '@mmstats/core';
import { startMetricsServer } from '@mmstats/core/http';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  abortedGet,
  baseUrl,
  deferred,
  get,
  many,
  parseSamples,
  pipelined,
  samplesOf,
  sampleValue,
} from './conformance-http.js';
import { promtoolCheckMetrics } from './promtool.js';
import { toolAvailable } from './tools.js';

/** Hooks the conformance routes call back into. */
export interface ConformanceRoutes {
  /** GET /slow awaits this before answering 200; the suite resolves it when it wants. */
  slow(): Promise<void>;
}

export interface RunningApp {
  server: Server;
  close(): Promise<void>;
}

/** Starts an app whose `listen(port, host)` returns its node:http server (Express, Koa) on 127.0.0.1. */
export function listenOnLoopback(app: { listen(port: number, host: string): Server }): Promise<RunningApp> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1');
    server.once('error', reject);
    server.once('listening', () =>
      resolve({
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      }),
    );
  });
}

/**
 * One framework major with its adapter. `start` builds an application with the adapter
 * installed first, given `options` as they are, listening on 127.0.0.1 port 0, with these routes:
 *
 * - GET /users/:id: 200 JSON; POST /users/:id: 201 JSON (body not read)
 * - GET /redirect: 302 to /users/1
 * - GET /boom: the handler throws; the framework answers 500
 * - GET /api/v1/items/:itemId: in a router mounted at /v1 inside a router mounted at /api
 *   (Fastify: plugins with those prefixes); GET /api/v1/items/:itemId/fail there throws (500)
 * - GET /slow: awaits `routes.slow()`, then 200
 * - GET /stream: 200 with the body of `slowStream()` (three chunks, 80 ms)
 * - anything else: the framework's 404
 */
export interface ConformanceTarget {
  name: string;
  start(options: Record<string, unknown> | undefined, routes: ConformanceRoutes): Promise<RunningApp>;
}

/** What Prometheus 2.x and 3.x send when scraping. */
export const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const REQUESTS = 'http_requests_total';
const PROM_CLIENT_GAUGE_NAMES =
  /^web_stats_nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;

/** Runs the shared adapter conformance suite against one framework major. */
export function runConformance(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, () => {
    const running: RunningApp[] = [];
    let slowGate = deferred();
    let slowArrived = deferred();
    const routes: ConformanceRoutes = {
      slow: () => {
        slowArrived.resolve();
        return slowGate.promise;
      },
    };

    afterEach(async () => {
      slowGate.resolve();
      await Promise.all(running.splice(0).map((app) => app.close()));
      slowGate = deferred();
      slowArrived = deferred();
    });

    /** Starts the app on a registry of its own (memory only) unless options name one. */
    async function start(options: Record<string, unknown> = {}) {
      const registry = (options.registry as Registry | undefined) ?? new Registry({ storage: false });
      const app = await target.start({ processMetrics: false, ...options, registry }, routes);
      running.push(app);
      const url = baseUrl(app.server);
      const scrape = async (headers: Record<string, string> = {}) =>
        (await get(`${url}/metrics`, headers)).body;
      return { app, url, registry, scrape, agent: request(url) };
    }

    /** Metrics are recorded when the connection has finished with the response: poll briefly. */
    const eventually = (check: () => Promise<void>) => vi.waitFor(check, { timeout: 3000, interval: 10 });

    it('counts requests exactly, per method, route template and status class', async () => {
      const { url, scrape } = await start();
      await many(5, 5, (i) => `${url}/users/${i}`);
      await many(2, 2, () => `${url}/redirect`);
      await many(3, 3, () => `${url}/boom`);
      await many(4, 2, (i) => `${url}/api/v1/items/${i}`);
      await many(1, 1, () => `${url}/api/v1/items/7/fail`);
      await fetch(`${url}/users/9`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      await eventually(async () => {
        const text = await scrape();
        const count = (method: string, route: string, status: string) =>
          sampleValue(text, REQUESTS, { method, route, status });
        expect(count('GET', '/users/:id', '2XX')).toBe(5);
        expect(count('POST', '/users/:id', '2XX')).toBe(1);
        expect(count('GET', '/redirect', '3XX')).toBe(2);
        expect(count('GET', '/boom', '5XX')).toBe(3);
        expect(count('GET', '/api/v1/items/:itemId', '2XX')).toBe(4);
        expect(count('GET', '/api/v1/items/:itemId/fail', '5XX')).toBe(1);
        expect(samplesOf(text, REQUESTS).reduce((sum, s) => sum + s.value, 0)).toBe(16);
        const durations = { method: 'GET', route: '/users/:id', status: '2XX' };
        expect(sampleValue(text, 'http_request_duration_seconds_count', durations)).toBe(5);
        expect(sampleValue(text, 'http_request_duration_seconds_bucket', { ...durations, le: '+Inf' })).toBe(
          5,
        );
        expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
      });
    });

    it('labels nested routes with the full template, mount prefixes included, also when they throw', async () => {
      const { url, scrape } = await start();
      expect((await get(`${url}/api/v1/items/42`)).status).toBe(200);
      expect((await get(`${url}/api/v1/items/42/fail`)).status).toBe(500);
      await eventually(async () => {
        const routes = samplesOf(await scrape(), REQUESTS).map((s) => `${s.labels.route} ${s.labels.status}`);
        expect(routes.sort()).toEqual(['/api/v1/items/:itemId 2XX', '/api/v1/items/:itemId/fail 5XX']);
      });
    });

    it('puts 1,000 random unmatched paths in exactly one series', async () => {
      const { url, scrape } = await start();
      const statuses = await many(1000, 25, (i) => `${url}/scan/${i}-${Math.random().toString(36).slice(2)}`);
      expect(new Set(statuses)).toEqual(new Set([404]));
      await eventually(async () => {
        const series = samplesOf(await scrape(), REQUESTS);
        expect(series).toEqual([
          { name: REQUESTS, labels: { method: 'GET', route: '__unmatched__', status: '4XX' }, value: 1000 },
        ]);
      });
    });

    it('uses the unmatchedRoute option for unmatched requests', async () => {
      const { url, scrape } = await start({ unmatchedRoute: 'none' });
      await get(`${url}/nowhere`);
      await eventually(async () => expect(sampleValue(await scrape(), REQUESTS, { route: 'none' })).toBe(1));
    });

    it('counts a request whose client went away before the response ended, as 499', async () => {
      const { url, scrape } = await start({ statusCodes: 'exact' });
      await abortedGet(`${url}/slow`, slowArrived.promise);
      await eventually(async () => {
        const text = await scrape();
        expect(sampleValue(text, REQUESTS, { method: 'GET', route: '/slow', status: '499' })).toBe(1);
        expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
      });
      // The handler finishing later, into a closed connection, neither counts again nor breaks.
      slowGate.resolve();
      expect((await get(`${url}/users/1`)).status).toBe(200);
      await eventually(async () => expect(samplesOf(await scrape(), REQUESTS)).toHaveLength(2));
      expect(sampleValue(await scrape(), REQUESTS, { route: '/slow' })).toBe(1);
    });

    it('counts an aborted request in the 4XX class by default', async () => {
      const { url, scrape } = await start();
      await abortedGet(`${url}/slow`, slowArrived.promise);
      await eventually(async () =>
        expect(sampleValue(await scrape(), REQUESTS, { route: '/slow', status: '4XX' })).toBe(1),
      );
    });

    it('counts pipelined requests, and one abandoned behind them as 499', async () => {
      const { url, scrape } = await start({ statusCodes: 'exact' });
      const raw = await pipelined(url, ['/users/1', '/redirect', '/users/2', '/slow'], 3);
      expect(raw.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 302', 'HTTP/1.1 200']);
      await eventually(async () => {
        const text = await scrape();
        expect(sampleValue(text, REQUESTS, { route: '/users/:id', status: '200' })).toBe(2);
        expect(sampleValue(text, REQUESTS, { route: '/redirect', status: '302' })).toBe(1);
        expect(sampleValue(text, REQUESTS, { route: '/slow', status: '499' })).toBe(1);
        expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
      });
    });

    it('shows a request in flight while it is served', async () => {
      const { url, scrape } = await start();
      const pending = get(`${url}/slow`);
      await slowArrived.promise;
      expect(sampleValue(await scrape(), 'http_requests_in_flight')).toBe(1);
      slowGate.resolve();
      expect((await pending).status).toBe(200);
      await eventually(async () => expect(sampleValue(await scrape(), 'http_requests_in_flight')).toBe(0));
    });

    it('times a streamed response to its last byte', async () => {
      const { url, scrape } = await start();
      const res = await get(`${url}/stream`);
      expect(res.body).toBe('chunk 1\nchunk 2\nchunk 3\n');
      await eventually(async () => {
        const text = await scrape();
        expect(sampleValue(text, 'http_request_duration_seconds_count', { route: '/stream' })).toBe(1);
        expect(
          sampleValue(text, 'http_request_duration_seconds_sum', { route: '/stream' }),
        ).toBeGreaterThanOrEqual(0.075);
      });
    });

    it('records the exact status code with statusCodes: "exact"', async () => {
      const { url, scrape } = await start({ statusCodes: 'exact' });
      await get(`${url}/redirect`);
      await get(`${url}/nope`);
      await eventually(async () => {
        const text = await scrape();
        expect(sampleValue(text, REQUESTS, { route: '/redirect', status: '302' })).toBe(1);
        expect(sampleValue(text, REQUESTS, { route: '__unmatched__', status: '404' })).toBe(1);
      });
    });

    it('folds methods outside the standard set into _OTHER', async () => {
      const { url, scrape } = await start();
      await fetch(`${url}/users/1`, { method: 'PROPFIND' }).then((r) => r.arrayBuffer());
      await eventually(async () =>
        expect(sampleValue(await scrape(), REQUESTS, { method: '_OTHER' })).toBe(1),
      );
    });

    it('never counts the metrics endpoint', async () => {
      const { url, scrape, agent } = await start();
      for (let i = 0; i < 3; i++) await agent.get('/metrics').expect(200);
      await agent.head('/metrics').expect(200);
      await agent.get('/metrics?x=1').expect(200);
      const text = await scrape();
      expect(samplesOf(text, REQUESTS)).toEqual([]);
      expect(sampleValue(text, 'http_request_duration_seconds_count')).toBeUndefined();
      await get(`${url}/users/1`);
      await eventually(async () => expect(samplesOf(await scrape(), REQUESTS)).toHaveLength(1));
    });

    it('negotiates: OpenMetrics for what Prometheus sends, text otherwise, versioned Content-Type always', async () => {
      const { url, agent } = await start();
      await get(`${url}/users/1`);
      const om = await agent.get('/metrics').set('accept', PROMETHEUS_ACCEPT).expect(200);
      expect(om.headers['content-type']).toBe(OPENMETRICS_TYPE);
      expect(om.text.endsWith('# EOF\n')).toBe(true);
      for (const accept of [undefined, 'text/plain', '*/*', 'application/json']) {
        const req = agent.get('/metrics');
        const res = await (accept === undefined ? req : req.set('accept', accept)).expect(200);
        expect(res.headers['content-type']).toBe(TEXT_TYPE);
        expect(res.text).not.toContain('# EOF');
      }
    });

    it('serves bodies promtool accepts, with every optional metric on', async (context) => {
      if (!toolAvailable('promtool')) return context.skip();
      const { url, scrape } = await start({
        processMetrics: true,
        requestSizes: true,
        responseSizes: true,
        prefix: 'web.stats.',
        customLabels: { names: ['tenant'], values: () => ({ tenant: 'a"b\\c' }) },
      });
      await many(3, 3, (i) => `${url}/users/${i}`);
      await get(`${url}/boom`);
      await get(`${url}/nope`);
      await fetch(`${url}/users/2`, {
        method: 'POST',
        body: '{"a":1}',
        headers: { 'content-type': 'application/json' },
      });
      await eventually(async () =>
        expect(sampleValue(await scrape(), 'web_stats_http_requests_total', { status: '4XX' })).toBe(1),
      );
      const text = await scrape();
      expect(text).toContain('web_stats_process_cpu_seconds_total');
      expect(
        sampleValue(text, 'web_stats_http_response_size_bytes_count', { method: 'GET', route: '/users/:id' }),
      ).toBe(3);
      expect(sampleValue(text, 'web_stats_http_request_size_bytes_count', { method: 'POST' })).toBe(1);
      expect(sampleValue(text, 'web_stats_http_request_size_bytes_sum', { method: 'POST' })).toBe(7);
      // prom-client named three gauges `nodejs_active_*_total` and we keep its names for
      // dashboards' sake: those are promtool's only permitted findings.
      const findings = promtoolCheckMetrics(text)
        .output.split('\n')
        .filter((line) => line !== '' && !PROM_CLIENT_GAUGE_NAMES.test(line));
      expect(findings).toEqual([]);
      const withoutProcessMetrics = await start({ requestSizes: true, responseSizes: true });
      await many(2, 2, (i) => `${withoutProcessMetrics.url}/users/${i}`);
      await get(`${withoutProcessMetrics.url}/boom`);
      await eventually(async () =>
        expect(sampleValue(await withoutProcessMetrics.scrape(), REQUESTS, { status: '5XX' })).toBe(1),
      );
      expect(promtoolCheckMetrics(await withoutProcessMetrics.scrape())).toEqual({ ok: true, output: '' });
    });

    it('adds default process metrics unless processMetrics is false', async () => {
      const on = await start({ processMetrics: true });
      expect(await on.scrape()).toContain('process_cpu_seconds_total');
      const off = await start({ processMetrics: false });
      expect(await off.scrape()).not.toContain('process_cpu_seconds_total');
    });

    it('protects the endpoint with a bearer token', async () => {
      const { agent } = await start({ auth: { bearer: 's3cret' } });
      const denied = await agent.get('/metrics').expect(401);
      expect(denied.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      await agent.get('/metrics').set('authorization', 'Bearer wrong').expect(401);
      await agent.get('/metrics').set('authorization', 'Bearer s3cret').expect(200);
    });

    it('protects the endpoint with basic credentials', async () => {
      const { agent } = await start({ auth: { basic: { username: 'prom', password: 'pw' } } });
      await agent.get('/metrics').expect(401);
      await agent.get('/metrics').auth('prom', 'nope').expect(401);
      await agent.get('/metrics').auth('prom', 'pw').expect(200);
    });

    it('protects the endpoint with a predicate given the framework request; a throwing one denies', async () => {
      const seen: unknown[] = [];
      const { agent } = await start({
        auth: (req: unknown) => {
          seen.push(req);
          return (req as { headers: Record<string, string> }).headers['x-ok'] === 'yes';
        },
      });
      await agent.get('/metrics').expect(403);
      await agent.get('/metrics').set('x-ok', 'yes').expect(200);
      expect(seen).toHaveLength(2);
      const throwing = await start({
        auth: () => {
          throw new Error('no');
        },
      });
      await throwing.agent.get('/metrics').expect(403);
    });

    it('serves the endpoint at a configured path, or not at all', async () => {
      const moved = await start({ path: '/internal/stats' });
      await moved.agent.get('/internal/stats').expect(200);
      expect((await get(`${moved.url}/metrics`)).status).toBe(404);
      const none = await start({ path: false });
      expect((await get(`${none.url}/metrics`)).status).toBe(404);
      await eventually(async () =>
        expect(sampleValue(await none.registry.metrics(), REQUESTS, { route: '__unmatched__' })).toBe(1),
      );
    });

    it('leaves excluded paths and predicate matches uncounted', async () => {
      const { url, scrape } = await start({ exclude: ['/users/1', '/redirect'] });
      await get(`${url}/users/1?full=1`);
      await get(`${url}/redirect`);
      await get(`${url}/users/2`);
      await eventually(async () =>
        expect(sampleValue(await scrape(), REQUESTS, { route: '/users/:id' })).toBe(1),
      );
      expect(samplesOf(await scrape(), REQUESTS)).toHaveLength(1);
      const byPredicate = await start({ exclude: (req: unknown) => req !== undefined });
      await get(`${byPredicate.url}/users/3`);
      await get(`${byPredicate.url}/boom`);
      expect(samplesOf(await byPredicate.scrape(), REQUESTS)).toEqual([]);
    });

    it('adds custom labels; a throwing callback never breaks a request and warns once', async () => {
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      try {
        const { url, scrape } = await start({
          customLabels: {
            names: ['tenant'],
            values: (req: unknown) => {
              const tenant = (req as { headers: Record<string, string | undefined> }).headers['x-tenant'];
              if (tenant === 'bad') throw new Error('tenant lookup failed');
              return { tenant };
            },
          },
        });
        expect((await get(`${url}/users/1`, { 'x-tenant': 'acme' })).status).toBe(200);
        for (let i = 0; i < 3; i++)
          expect((await get(`${url}/users/1`, { 'x-tenant': 'bad' })).status).toBe(200);
        await eventually(async () => {
          const text = await scrape();
          expect(sampleValue(text, REQUESTS, { route: '/users/:id', tenant: 'acme' })).toBe(1);
          expect(sampleValue(text, REQUESTS, { route: '/users/:id', tenant: '' })).toBe(3);
        });
        await eventually(async () => expect(warnings.map((w) => w.message).join()).toContain('customLabels'));
        expect(warnings.filter((w) => w.message.includes('customLabels'))).toHaveLength(1);
      } finally {
        process.off('warning', onWarning);
      }
    });

    it('prefixes mmstats labels and Prometheus names', async () => {
      const { url, registry, scrape } = await start({ prefix: 'web.stats.' });
      await get(`${url}/users/1`);
      await eventually(async () =>
        expect(sampleValue(await scrape(), 'web_stats_http_requests_total', { route: '/users/:id' })).toBe(1),
      );
      expect(registry.getSingleMetric('web_stats_http_request_duration_seconds')).toBeDefined();
    });

    it('writes live values to an mmstats file when it creates the registry with storage', async () => {
      const directory = mkdtempSync(join(tmpdir(), 'mmstats-conformance-'));
      try {
        const app = await target.start(
          { processMetrics: false, prefix: 'web.stats.', storage: { directory } },
          routes,
        );
        running.push(app);
        await get(`${baseUrl(app.server)}/users/1`);
        const label = 'web.stats.http_requests_total{method="GET",route="/users/:id",status="2XX"}';
        await eventually(async () => {
          const files = readdirSync(directory).filter((f) => f.endsWith('.mmstats'));
          expect(files.length).toBeGreaterThan(0);
          expect(files.some((f) => readFileSync(join(directory, f)).includes(label))).toBe(true);
        });
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });

    it('shares the metrics of one registry between two apps (tests, hot reload) without clashing', async () => {
      const registry = new Registry({ storage: false });
      const a = await start({ registry });
      const b = await start({ registry });
      await get(`${a.url}/users/1`);
      await get(`${b.url}/users/2`);
      await eventually(async () =>
        expect(sampleValue(await a.scrape(), REQUESTS, { route: '/users/:id' })).toBe(2),
      );
    });

    it('rejects bad options when the middleware is created, naming the option', async () => {
      for (const bad of [
        { statusCodes: 'nope' },
        { path: 'metrics' },
        { buckets: [2, 1] },
        { auth: { bearer: '' } },
        { exclude: 'health' },
        { customLabels: { names: ['status'], values: () => ({}) } },
        { nope: 1 },
      ]) {
        const error = await target.start({ processMetrics: false, ...bad }, routes).then(
          async (app) => {
            await app.close();
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(isMetricsError(error), `${JSON.stringify(bad)} was accepted`).toBe(true);
        const key = Object.keys(bad)[0]!;
        expect((error as Error).message).toContain(key === 'customLabels' ? 'status' : key);
      }
    });

    it('records what startMetricsServer serves on its own port', async () => {
      const { url, registry } = await start({ path: false });
      const metricsServer = await startMetricsServer({ port: 0, registry, auth: { bearer: 't' } });
      try {
        await get(`${url}/users/1`);
        const headers = { authorization: 'Bearer t' };
        await eventually(async () => {
          const res = await get(metricsServer.url, headers);
          expect(res.status).toBe(200);
          expect(sampleValue(res.body, REQUESTS, { route: '/users/:id' })).toBe(1);
        });
        expect((await get(metricsServer.url)).status).toBe(401);
        const all = parseSamples((await get(metricsServer.url, headers)).body);
        expect(all.some((s) => s.name === REQUESTS)).toBe(true);
      } finally {
        await metricsServer.close();
      }
    });
  });
}
