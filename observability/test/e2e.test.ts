import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, type RunningProcess, startProgram, toolAvailable, waitFor } from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  ASSETS,
  alertRules,
  allRules,
  dashboard,
  everyExprIn,
  PROMETHEUS_YML,
  panelQueries,
  REPO,
  RULE_FILES,
  templateVariables,
} from './assets.js';

// The real Prometheus (Debian's `prometheus`) scrapes the three built example apps with the
// shipped config (targets moved to this test's ports, 1 s intervals) and evaluates the shipped
// rules while we send known traffic; then every expression of the rules and of the dashboard is
// evaluated through its HTTP API and compared with what was sent.

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs: Array<{ targets: string[] }>;
}
interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface Series {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

const shipped = parse(readFileSync(PROMETHEUS_YML, 'utf8')) as PrometheusConfig;
const JOBS = shipped.scrape_configs.map((c) => c.job_name);
const FASTIFY = 'example-fastify';
const exampleOf = (job: string) => job.replace(/^example-/, '');

/** The fast traffic every app gets: [path, route, status class, HTTP status, count]. */
const FAST: Array<[(i: number) => string, string, string, number, number]> = [
  [(i) => `/users/${i}`, '/users/:id', '2XX', 200, 200],
  [(i) => `/api/v1/items/${i}`, '/api/v1/items/:itemId', '2XX', 200, 50],
  [() => '/redirect', '/redirect', '3XX', 302, 50],
  [() => '/boom', '/boom', '5XX', 500, 50],
  [(i) => `/no/such/path/${i}`, '__unmatched__', '4XX', 404, 50],
];
/** Fastify reads the body of a POST to an unknown path before answering 404: slow uploads are slow requests. */
// The server times a request from when it has read its headers, which can come a good part of a
// second after the client sent them on a loaded machine: each hold leaves a margin of ~0.8 s or more
// on either side of its bucket.
const SLOW_SHORT = 60; // bodies that take 1.8 s: bucket (1, 2.5]
const SLOW_LONG = 110; // bodies held 3.8-4.6 s, all at once: more than 100 in flight; bucket (2.5, 5]

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A POST to an unknown path whose body ends when `release` resolves; resolves with the status. */
function slowUpload(base: string, release: Promise<void>): Promise<number> {
  const { hostname, port } = new URL(base);
  return new Promise((resolvePost, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: '/no/such/path',
        agent: false,
        headers: { 'content-type': 'text/plain' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolvePost(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.write('slow ');
    void release.then(() => req.end('body'));
  });
}

async function sendAll(base: string, paths: string[], concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      const res = await fetch(`${base}${paths[i]}`, {
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      statuses[i] = res.status;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.skipIf(!toolAvailable('prometheus'))(
  'the shipped config, rules and dashboard on a real Prometheus',
  () => {
    let dir: string;
    let api: string;
    let prometheus: RunningProcess | undefined;
    const apps = new Map<string, { base: string; process: RunningProcess }>();
    /** Requests sent per `job method route status`, warm-up included, and after the warm-up alone. */
    const sent = new Map<string, number>();
    const measured = new Map<string, number>();
    let inFlightSeen: Sample[] = [];

    const count = (map: Map<string, number>, key: string, n = 1) => map.set(key, (map.get(key) ?? 0) + n);
    const perJob = (map: Map<string, number>, job: string, filter: (key: string) => boolean = () => true) =>
      [...map].filter(([k]) => k.startsWith(`${job} `) && filter(k)).reduce((n, [, v]) => n + v, 0);

    async function query(promql: string): Promise<Sample[]> {
      const res = await fetch(`${api}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query: promql }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data: { resultType: string; result: Sample[] };
      };
      if (body.status !== 'success') throw new Error(`${promql}: ${body.error}`);
      if (body.data.resultType !== 'vector')
        throw new Error(`${promql}: a ${body.data.resultType}, not a vector`);
      return body.data.result;
    }
    async function rangeSeries(promql: string): Promise<Series[]> {
      const res = await fetch(`${api}/api/v1/query`, {
        method: 'POST',
        body: new URLSearchParams({ query: promql }),
      });
      const body = (await res.json()) as { status: string; data: { resultType: string; result: Series[] } };
      expect(body.data.resultType).toBe('matrix');
      return body.data.result;
    }
    const byJob = (samples: Sample[]) =>
      Object.fromEntries(samples.map((s) => [s.metric.job, Number(s.value[1])]));

    beforeAll(async () => {
      for (const job of JOBS) {
        const server = join(REPO, 'examples', exampleOf(job), 'dist', 'server.js');
        if (!existsSync(server)) throw new Error(`${server} is missing: run \`npm run build\` first`);
      }
      dir = mkdtempSync(join(tmpdir(), 'mmstats-observability-'));
      mkdirSync(join(dir, 'mmstats'));
      await Promise.all(
        JOBS.map(async (job) => {
          const port = await freePort();
          const base = `http://127.0.0.1:${port}`;
          const server = join(REPO, 'examples', exampleOf(job), 'dist', 'server.js');
          // `env` execs node, so the PID that stop() signals is the app's.
          const process_ = await startProgram(
            'env',
            [`PORT=${port}`, `MMSTATS_PATH=${join(dir, 'mmstats')}`, process.execPath, server],
            `${base}/metrics`,
          );
          apps.set(job, { base, process: process_ });
        }),
      );

      // The shipped config, with its targets moved to our ports and 1 s intervals.
      const config = structuredClone(shipped);
      config.global = {
        ...config.global,
        scrape_interval: '1s',
        scrape_timeout: '1s',
        evaluation_interval: '1s',
      };
      config.rule_files = shipped.rule_files.map((f) => resolve(ASSETS, f));
      for (const scrape of config.scrape_configs) {
        scrape.static_configs = [{ targets: [new URL(apps.get(scrape.job_name)!.base).host] }];
      }
      writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
      const port = await freePort();
      api = `http://127.0.0.1:${port}`;
      prometheus = await startProgram(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        `${api}/-/ready`,
      );
      await waitFor(
        async () => {
          const body = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
            data: { activeTargets: Array<{ health: string }> };
          };
          const targets = body.data.activeTargets;
          return targets.length === JOBS.length && targets.every((t) => t.health === 'up') ? true : undefined;
        },
        15_000,
        'every example scraped',
      );

      // Warm-up: one request of each kind creates every series; once Prometheus holds them, what
      // follows is the measured traffic.
      await Promise.all(
        JOBS.map(async (job) => {
          const { base } = apps.get(job)!;
          const statuses = await sendAll(
            base,
            FAST.map(([path]) => path(0)),
            1,
          );
          expect(statuses).toEqual(FAST.map(([, , , status]) => status));
          for (const [, route, cls] of FAST) count(sent, `${job} GET ${route} ${cls}`);
          if (job === FASTIFY) {
            expect(await slowUpload(base, Promise.resolve())).toBe(404);
            count(sent, `${job} POST __unmatched__ 4XX`);
          }
        }),
      );
      await waitFor(
        async () => {
          const totals = byJob(await query('sum by (job) (http_requests_total)'));
          return JOBS.every((job) => totals[job] === perJob(sent, job)) ? true : undefined;
        },
        10_000,
        'the warm-up scraped',
      );
      await sleep(2000);

      // Fast traffic to every app at once.
      await Promise.all(
        JOBS.map(async (job) => {
          const paths: string[] = [];
          const expected: number[] = [];
          for (const [path, route, cls, status, n] of FAST) {
            for (let i = 1; i <= n; i++) {
              paths.push(path(i));
              expected.push(status);
            }
            count(sent, `${job} GET ${route} ${cls}`, n);
            count(measured, `${job} GET ${route} ${cls}`, n);
          }
          expect(await sendAll(apps.get(job)!.base, paths, 8)).toEqual(expected);
        }),
      );

      // Slow requests (Fastify): 1.8 s uploads, then many long ones at once.
      const fastify = apps.get(FASTIFY)!.base;
      const short = await Promise.all(
        Array.from({ length: SLOW_SHORT }, () => slowUpload(fastify, sleep(1800))),
      );
      expect(short.every((s) => s === 404)).toBe(true);
      const started = Date.now();
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      const gate = Promise.race([
        released.then(() => sleep(Math.max(0, 3800 - (Date.now() - started)))),
        sleep(4600),
      ]);
      const long = Promise.all(Array.from({ length: SLOW_LONG }, () => slowUpload(fastify, gate)));
      const inFlightAlert = alertRules().find((r) => r.alert === 'HttpRequestsInFlightHigh')!;
      try {
        inFlightSeen = await waitFor(
          async () => {
            const result = await query(inFlightAlert.expr);
            return result.length > 0 ? result : undefined;
          },
          3600,
          'the in-flight alert condition while 110 uploads are open',
        );
      } finally {
        release();
      }
      expect((await long).every((s) => s === 404)).toBe(true);
      count(sent, `${FASTIFY} POST __unmatched__ 4XX`, SLOW_SHORT + SLOW_LONG);
      count(measured, `${FASTIFY} POST __unmatched__ 4XX`, SLOW_SHORT + SLOW_LONG);

      // Everything scraped, then two more rule evaluations.
      await waitFor(
        async () => {
          const totals = byJob(await query('sum by (job) (http_requests_total)'));
          const idle = byJob(await query('sum by (job) (http_requests_in_flight)'));
          return JOBS.every((job) => totals[job] === perJob(sent, job) && idle[job] === 0) ? true : undefined;
        },
        10_000,
        'the traffic scraped',
      );
      await sleep(2500);
    }, 60_000);

    afterAll(async () => {
      await prometheus?.stop();
      await Promise.all([...apps.values()].map((app) => app.process.stop()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('scrapes the three example apps of the shipped config and loads every shipped rule', async () => {
      expect(JOBS.sort()).toEqual(['example-express', 'example-fastify', 'example-koa']);
      for (const scrape of shipped.scrape_configs) {
        expect(scrape.metrics_path ?? '/metrics').toBe('/metrics');
        expect(scrape.static_configs.flatMap((s) => s.targets).every((t) => t.startsWith('127.0.0.1:'))).toBe(
          true,
        );
      }
      expect(shipped.rule_files.map((f) => resolve(ASSETS, f))).toEqual(RULE_FILES);
      const body = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
      };
      const loaded = body.data.groups.flatMap((g) => g.rules);
      expect(loaded.map((r) => r.name).sort()).toEqual(
        allRules()
          .map((r) => r.record ?? r.alert)
          .sort(),
      );
      for (const rule of loaded)
        expect({ rule: rule.name, health: rule.health }).toEqual({ rule: rule.name, health: 'ok' });
    });

    it('stores exactly the requests that were sent', async () => {
      const stored = await query('sum by (job, method, route, status) (http_requests_total)');
      const got = Object.fromEntries(
        stored.map((s) => [
          `${s.metric.job} ${s.metric.method} ${s.metric.route} ${s.metric.status}`,
          Number(s.value[1]),
        ]),
      );
      expect(got).toEqual(Object.fromEntries(sent));
      // From the raw samples: the increase since the first scrape (which held the warm-up) is
      // exactly the measured traffic.
      const series = await rangeSeries('http_requests_total[5m]');
      for (const job of JOBS) {
        const increase = series
          .filter((s) => s.metric.job === job)
          .reduce((n, s) => n + Number(s.values.at(-1)![1]) - Number(s.values[0]![1]), 0);
        expect(increase, job).toBe(perJob(measured, job));
      }
    });

    it('puts every request in the latency bucket its duration belongs to', async () => {
      const series = await rangeSeries('http_request_duration_seconds_bucket[5m]');
      const increase = (job: string, method: string, le: string) =>
        series
          .filter(
            (s) => s.metric.job === job && s.metric.method === method && Number(s.metric.le) === Number(le),
          )
          .reduce((n, s) => n + Number(s.values.at(-1)![1]) - Number(s.values[0]![1]), 0);
      for (const job of JOBS) {
        // Every GET was fast: all of them within 0.5 s.
        expect(increase(job, 'GET', '0.5'), job).toBe(perJob(measured, job, (k) => k.includes(' GET ')));
      }
      expect(increase(FASTIFY, 'POST', '0.5')).toBe(0);
      expect(increase(FASTIFY, 'POST', '1')).toBe(0);
      expect(increase(FASTIFY, 'POST', '2.5')).toBe(SLOW_SHORT);
      expect(increase(FASTIFY, 'POST', '5')).toBe(SLOW_SHORT + SLOW_LONG);
    });

    it('records request rates, error ratios and latency that agree with the traffic', async () => {
      // rate() over 5m of ~10 s of samples extrapolates by at most ~1.5 s: between 1x and 1.25x.
      const rates = byJob(await query('sum by (job) (job_route:http_requests:rate5m)'));
      for (const job of JOBS) {
        const m = perJob(measured, job);
        expect(rates[job]! * 300, job).toBeGreaterThanOrEqual(m * 0.99);
        expect(rates[job]! * 300, job).toBeLessThanOrEqual(m * 1.25);
      }
      const errors = byJob(await query('job:slo_availability_errors:ratio_rate5m'));
      for (const job of JOBS) {
        const expected = perJob(measured, job, (k) => k.endsWith(' 5XX')) / perJob(measured, job);
        expect(Math.abs(errors[job]! - expected), `${job}: ${errors[job]} vs ${expected}`).toBeLessThan(0.01);
      }
      const byRoute = await query('job_route:http_requests_errors:ratio_rate5m');
      for (const s of byRoute)
        expect(Number(s.value[1]), JSON.stringify(s.metric)).toBe(s.metric.route === '/boom' ? 1 : 0);

      const slow = byJob(await query('job:slo_latency_slow:ratio_rate5m'));
      for (const job of JOBS) {
        const expected = job === FASTIFY ? (SLOW_SHORT + SLOW_LONG) / perJob(measured, job) : 0;
        expect(Math.abs(slow[job]! - expected), `${job}: ${slow[job]} vs ${expected}`).toBeLessThan(0.01);
      }
      // Quantiles, within the bucket holding the requests of that rank: Fastify's 400 fast, then
      // 60 in (1, 2.5], then 110 in (2.5, 5]; the others only fast requests.
      const p = async (q: string) => byJob(await query(`job:http_request_duration_seconds:${q}_rate5m`));
      const [p50, p95, p99] = [await p('p50'), await p('p95'), await p('p99')];
      const p75 = Number(
        (
          await query(
            `histogram_quantile(0.75, sum by (le) (job_route_le:http_request_duration_seconds_bucket:rate5m{job="${FASTIFY}"}))`,
          )
        )[0]?.value[1],
      );
      expect(p50[FASTIFY]).toBeLessThanOrEqual(0.1);
      expect(p75).toBeGreaterThanOrEqual(1);
      expect(p75).toBeLessThanOrEqual(2.5);
      for (const q of [p95, p99]) {
        expect(q[FASTIFY]).toBeGreaterThanOrEqual(2.5);
        expect(q[FASTIFY]).toBeLessThanOrEqual(5);
      }
      for (const job of JOBS.filter((j) => j !== FASTIFY)) {
        expect(p50[job], job).toBeLessThanOrEqual(0.1);
        expect(p99[job], job).toBeLessThanOrEqual(0.5);
      }
      // In flight: more than 100 while the long uploads were open, none now.
      expect(inFlightSeen.map((s) => s.metric.job)).toEqual([FASTIFY]);
      expect(Number(inFlightSeen[0]!.value[1])).toBeGreaterThan(100);
      expect(Number(inFlightSeen[0]!.value[1])).toBeLessThanOrEqual(SLOW_LONG);
    });

    it('returns data for every recording rule expression', async () => {
      for (const rule of allRules().filter((r) => r.record)) {
        const result = await query(rule.expr);
        expect(result.length, `${rule.record}: no data`).toBeGreaterThan(0);
        expect(
          result.some((s) => Number.isFinite(Number(s.value[1]))),
          `${rule.record}: no finite value`,
        ).toBe(true);
        if (!rule.record!.startsWith('slo:')) {
          const jobs = new Set(result.map((s) => s.metric.job));
          expect([...jobs].sort(), rule.record).toEqual([...JOBS].sort());
        }
      }
    });

    it('evaluates every alert expression, which holds where the traffic says it must', async () => {
      // SLO alerts: 8.8-12.5 % of 5XX burns every availability budget (0.1 %) far above 14.4x;
      // only Fastify has slow requests (30 %), which burns its latency budget (1 %).
      const holdsFor: Record<string, string[]> = {
        HttpAvailabilityBurnRate1h: JOBS,
        HttpAvailabilityBurnRate6h: JOBS,
        HttpAvailabilityBurnRate3d: JOBS,
        HttpLatencyBurnRate1h: [FASTIFY],
        HttpLatencyBurnRate6h: [FASTIFY],
        HttpLatencyBurnRate3d: [FASTIFY],
      };
      for (const rule of alertRules()) {
        const result = await query(rule.expr);
        const threshold = /^([\s\S]*\S)\s*>\s*([0-9.]+)\s*$/.exec(rule.expr.trim());
        if (rule.alert in holdsFor) {
          expect(result.map((s) => s.metric.job).sort(), rule.alert).toEqual(
            [...holdsFor[rule.alert]!].sort(),
          );
        } else if (threshold) {
          // Saturation alerts (the idle examples are not saturated now; the in-flight one held
          // during the long uploads): the operand has data for every app, and the alert returns
          // exactly the series above the threshold.
          const operand = await query(threshold[1]!);
          expect(operand.map((s) => s.metric.job).sort(), rule.alert).toEqual([...JOBS].sort());
          const above = operand.filter((s) => Number(s.value[1]) > Number(threshold[2]));
          expect(result.map((s) => s.metric.job).sort(), rule.alert).toEqual(
            above.map((s) => s.metric.job).sort(),
          );
        } else {
          throw new Error(`${rule.alert}: the e2e test does not know when it should hold`);
        }
      }
      // And the real rule manager has them pending (every SLO alert waits at least 2 minutes).
      const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
        data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
      };
      const pending = body.data.alerts
        .filter((a) => a.labels.alertname === 'HttpAvailabilityBurnRate1h')
        .map((a) => `${a.labels.job} ${a.state}`)
        .sort();
      expect(pending).toEqual(JOBS.map((job) => `${job} pending`).sort());
    });

    it("resolves the dashboard's variables and returns data for every panel query", async () => {
      const values: Record<string, string[]> = {};
      const interpolate = (q: string) =>
        q.replace(/\$(\w+)/g, (whole, name: string) =>
          values[name] ? `(${values[name].map(escapeRegex).join('|')})` : whole,
        );
      for (const variable of templateVariables()) {
        if (variable.type === 'datasource') continue;
        const q = typeof variable.query === 'string' ? variable.query : variable.query?.query;
        const m = /^label_values\((.+),\s*(\w+)\)$/.exec(q ?? '');
        expect(m, `${variable.name}: ${q}`).not.toBeNull();
        const url = `${api}/api/v1/label/${m![2]}/values?${new URLSearchParams({ 'match[]': interpolate(m![1]!) })}`;
        const body = (await (await fetch(url)).json()) as { data: string[] };
        values[variable.name] = body.data;
      }
      expect(values.job?.sort()).toEqual([...JOBS].sort());
      expect(values.route?.sort()).toEqual([
        '/api/v1/items/:itemId',
        '/boom',
        '/redirect',
        '/users/:id',
        '__unmatched__',
      ]);

      const evaluated = new Set<string>();
      for (const { panel, refId, expr } of panelQueries()) {
        const promql = interpolate(expr);
        expect(promql, panel).not.toContain('$');
        const result = await query(promql);
        expect(result.length, `${panel} ${refId}: no data for ${promql}`).toBeGreaterThan(0);
        expect(
          result.some((s) => Number.isFinite(Number(s.value[1]))),
          `${panel} ${refId}: no finite value`,
        ).toBe(true);
        evaluated.add(expr);
      }
      // Every query anywhere in the dashboard JSON was among them.
      const everywhere = everyExprIn(dashboard());
      expect(everywhere.length).toBeGreaterThan(0);
      for (const expr of everywhere) expect(evaluated.has(expr), expr).toBe(true);
    });
  },
);
