import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  type RunningProcess,
  startProgram,
  startPrometheus,
  toolAvailable,
  waitFor,
} from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Two example apps write their files into one directory, `mmstats serve` exports them, and the
// real Prometheus scrapes it: what PromQL answers must be exactly the requests sent.
const CLI = fileURLToPath(new URL('../../bin/mmstats.cjs', import.meta.url));
const example = (name: string) =>
  fileURLToPath(new URL(`../../../../examples/${name}/dist/server.js`, import.meta.url));

describe.skipIf(!toolAvailable('prometheus'))('mmstats serve scraped by a real Prometheus', () => {
  let dir: string;
  const running: RunningProcess[] = [];
  let api: string;
  const apps: Record<string, string> = {};

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mmstats-serve-prom-'));
    // Both examples run a script called server.js; each gets its own {CMD} through the file
    // name template, so the exporter tells the two apps apart.
    for (const [app, framework] of [
      ['shop', 'express'],
      ['billing', 'fastify'],
    ] as const) {
      const port = await freePort();
      apps[app] = `http://127.0.0.1:${port}`;
      const env = {
        ...process.env,
        PORT: String(port),
        MMSTATS_PATH: dir,
        MMSTATS_FILES: `mmstats-${app}-{PID}-{TID}.mmstats`,
        MMSTATS_APP: app,
      };
      // Ready once the app's own /metrics answers: that endpoint is not counted in the metrics.
      running.push(await startProgram('node', [example(framework)], `${apps[app]}/metrics`, 20_000, env));
    }
    const servePort = await freePort();
    running.push(
      await startProgram(
        'node',
        [CLI, 'serve', '--port', String(servePort), dir],
        `http://127.0.0.1:${servePort}/`,
      ),
    );
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n` +
        `  - job_name: mmstats\n    static_configs: [{ targets: ['127.0.0.1:${servePort}'] }]\n`,
    );
    const prometheus = await startPrometheus(dir);
    api = prometheus.api;
    running.push(prometheus.program);
  }, 60_000);

  afterAll(async () => {
    for (const program of running.reverse()) await program.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function get(app: string, path: string, times: number) {
    for (let i = 0; i < times; i++) await (await fetch(`${apps[app]}${path}`)).text();
  }

  async function query(promql: string) {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    return body.data.result;
  }

  it('gives the exact count per app, route and class', async () => {
    await get('shop', '/users/1', 3);
    await get('shop', '/api/v1/items/7', 2);
    await get('shop', '/nope', 1);
    await get('shop', '/boom', 1);
    await get('billing', '/users/2', 4);
    await get('billing', '/boom', 2);
    const expected = {
      'billing /boom 5XX': '2',
      'billing /users/:id 2XX': '4',
      'shop /api/v1/items/:itemId 2XX': '2',
      'shop /boom 5XX': '1',
      'shop /users/:id 2XX': '3',
      'shop __unmatched__ 4XX': '1',
    };
    const counts = async () => {
      const result = await query('sum by (app, route, status) (http_requests_total{job="mmstats"})');
      const entries = result.map((s) => [`${s.metric.app} ${s.metric.route} ${s.metric.status}`, s.value[1]]);
      return Object.fromEntries(entries.sort(([a], [b]) => (a! < b! ? -1 : 1)));
    };
    // Prometheus keeps the last scrape's values: wait until one scrape has seen every request.
    await waitFor(
      async () => (JSON.stringify(await counts()) === JSON.stringify(expected) ? true : undefined),
      20_000,
      'Prometheus to store the counts',
    ).catch(() => undefined);
    expect(await counts()).toEqual(expected);
    const up = await query('up{job="mmstats"}');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
    // Gauges of running processes, one series each with the app and the pid.
    const inFlight = await query('http_requests_in_flight{job="mmstats"}');
    expect(inFlight.map((s) => s.metric.app).sort()).toEqual(['billing', 'shop']);
  }, 40_000);
});
