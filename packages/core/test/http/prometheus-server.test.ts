import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningProcess, startPrometheus, toolAvailable, waitFor } from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { negotiate } from '../../src/http.js';
import { Counter, Gauge, Histogram, Registry } from '../../src/index.js';

// The real Prometheus server (Debian's `prometheus`) scrapes us and we ask its API what it
// stored: the strongest check that our output is what Prometheus accepts, in both formats.
const HOSTILE = 'a "quoted" \\ back\nslash – ünïcödé 🚀';

describe.skipIf(!toolAvailable('prometheus'))('a real Prometheus server scraping us', () => {
  const registry = new Registry({ storage: false });
  const served: string[] = [];
  let app: Server;
  let prometheus: RunningProcess;
  let dir: string;
  let api: string;

  beforeAll(async () => {
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'Requests "served"\nby route \\',
      labelNames: ['route', 'status'],
      registers: [registry],
    });
    requests.inc({ route: '/users/:id', status: '2XX' }, 41);
    requests.inc({ route: HOSTILE, status: '5XX' });
    new Gauge({ name: 'queue_depth', help: 'Jobs waiting', registers: [registry] }).set(-2.5);
    const latency = new Histogram({
      name: 'request_duration_seconds',
      help: 'Latency',
      unit: 'seconds',
      labelNames: ['route'],
      registers: [registry],
    });
    for (const v of [0.003, 0.02, 0.2, 3]) latency.observe({ route: '/users/:id' }, v);

    app = createServer(async (req, res) => {
      const forced =
        req.url === '/metrics-text' ? negotiate('text/plain;version=0.0.4') : negotiate(req.headers.accept);
      served.push(`${req.url} ${req.headers.accept} -> ${forced.contentType}`);
      res.writeHead(200, { 'content-type': forced.contentType });
      res.end(await registry.metrics(forced.format));
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    dir = mkdtempSync(join(tmpdir(), 'mmstats-prom-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n` +
        `  - job_name: negotiated\n    static_configs: [{ targets: ['${target}'] }]\n` +
        `  - job_name: text\n    metrics_path: /metrics-text\n    static_configs: [{ targets: ['${target}'] }]\n`,
    );
    ({ program: prometheus, api } = await startPrometheus(dir));
  }, 40_000);

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => app?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function query(
    promql: string,
  ): Promise<Array<{ metric: Record<string, string>; value: [number, string] }> | undefined> {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    return body.data.result.length > 0 ? body.data.result : undefined;
  }

  it('scrapes both endpoints healthily', async () => {
    const targets = await waitFor(
      async () => {
        const body = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
          data: { activeTargets: Array<{ scrapePool: string; health: string; lastError: string }> };
        };
        const active = body.data.activeTargets;
        return active.length === 2 && active.every((t) => t.health !== 'unknown') ? active : undefined;
      },
      15_000,
      'both targets scraped',
    );
    for (const target of targets)
      expect({ pool: target.scrapePool, health: target.health, error: target.lastError }).toEqual({
        pool: target.scrapePool,
        health: 'up',
        error: '',
      });
    expect(
      served.some(
        (line) =>
          line.startsWith('/metrics ') &&
          line.endsWith('application/openmetrics-text; version=1.0.0; charset=utf-8'),
      ),
    ).toBe(true);
    expect(
      served.some(
        (line) =>
          line.startsWith('/metrics-text ') && line.endsWith('text/plain; version=0.0.4; charset=utf-8'),
      ),
    ).toBe(true);
  }, 20_000);

  it.each(['negotiated', 'text'])(
    'stores exact values and hostile label values (%s job)',
    async (job) => {
      const counters = await waitFor(
        () => query(`http_requests_total{job="${job}"}`),
        15_000,
        'counter samples',
      );
      const byRoute = Object.fromEntries(counters.map((s) => [s.metric.route, s.value[1]]));
      expect(byRoute).toEqual({ '/users/:id': '41', [HOSTILE]: '1' });
      expect((await waitFor(() => query(`queue_depth{job="${job}"}`), 5000, 'gauge'))[0]?.value[1]).toBe(
        '-2.5',
      );
      const buckets = await waitFor(
        () => query(`request_duration_seconds_bucket{job="${job}"}`),
        5000,
        'buckets',
      );
      const byLe = Object.fromEntries(buckets.map((s) => [s.metric.le, s.value[1]]));
      // Bounds are written Go-style ("5.0"), the form Prometheus 3 normalises every `le` to.
      expect(byLe).toMatchObject({
        '0.005': '1',
        '0.025': '2',
        '0.25': '3',
        '2.5': '3',
        '5.0': '4',
        '+Inf': '4',
      });
      expect((await query(`request_duration_seconds_count{job="${job}"}`))?.[0]?.value[1]).toBe('4');
    },
    20_000,
  );
});
