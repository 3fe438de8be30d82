import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  freePort,
  type RunningProcess,
  startProgram,
  startPrometheus,
  toolAvailable,
  waitFor,
} from '@mmstats/test-utils';
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
const exampleOf = (job: string) => job.replace(/^example-/, '');

/** The fast traffic every app gets: [path, route, status class, HTTP status, count]. */
const FAST: Array<[(i: number) => string, string, string, number, number]> = [
  [(i) => `/users/${i}`, '/users/:id', '2XX', 200, 200],
  [(i) => `/api/v1/items/${i}`, '/api/v1/items/:itemId', '2XX', 200, 50],
  [() => '/redirect', '/redirect', '3XX', 302, 50],
  [() => '/boom', '/boom', '5XX', 500, 50],
  [(i) => `/no/such/path/${i}`, '__unmatched__', '4XX', 404, 50],
];
/** Slow requests to every app (`GET /slow?ms=N`, timed by the server from its handler on). */
const SLOW_SHORT = 60; // 1.75 s each: bucket (1, 2.5], 0.75 s from either bound
const SLOW_SHORT_MS = 1750;
const SLOW_LONG = 110; // 4.25 s each, all at once: more than 100 in flight; bucket (2.5, 5]
const SLOW_LONG_MS = 4250;
/**
 * The busy load (`GET /busy?ms=N`, which blocks the event loop for N ms): three clients per app,
 * each sending its next request when the last one is answered, so that requests are always
 * waiting and the loop never idles. A scrape waits for the requests read before it (well within
 * the 1 s scrape timeout), and the lag it measures (a setImmediate queued while it is served) for
 * the ones read after it.
 */
const BUSY_CLIENTS = 3;
const BUSY_MS = 100;
const EVENT_LOOP_ALERTS = ['NodeEventLoopLagHigh', 'NodeEventLoopUtilizationHigh'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A GET on a connection of its own; resolves with the status. */
function get(base: string, path: string): Promise<number> {
  return new Promise((resolveGet, reject) => {
    const req = request(`${base}${path}`, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolveGet(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
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
    /** What the event-loop alert expressions returned while the alerts were pending. */
    let eventLoopSeen: Record<string, Sample[]> = {};
    /**
     * Busy requests counted after the first scrape (which the busy load overlaps), per job, and
     * how many of them took at most `le` seconds: known only from Prometheus' raw samples.
     */
    const busyMeasured: Record<string, number> = {};
    const busyWithin: Record<string, (le: number) => number> = {};
    /** The increase of a counter's raw samples over the test, summed over the series. */
    const increaseOf = (series: Series[]) =>
      series.reduce((n, s) => n + Number(s.values.at(-1)![1]) - Number(s.values[0]![1]), 0);

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

      // Warm-up, before Prometheus runs: one request of each kind creates every series, so that
      // the first scrape holds it and what follows it is the measured traffic.
      const WARM_UP: Array<[string, string, string, number]> = [
        ...FAST.map(
          ([path, route, cls, status]) => [path(0), route, cls, status] as [string, string, string, number],
        ),
        ['/slow?ms=0', '/slow', '2XX', 200],
        ['/busy?ms=0', '/busy', '2XX', 200],
      ];
      await Promise.all(
        JOBS.map(async (job) => {
          const statuses = await sendAll(
            apps.get(job)!.base,
            WARM_UP.map(([path]) => path),
            1,
          );
          expect(statuses).toEqual(WARM_UP.map(([, , , status]) => status));
          for (const [, route, cls] of WARM_UP) count(sent, `${job} GET ${route} ${cls}`);
        }),
      );

      // The busy load runs from before the first scrape until both event-loop alerts are pending,
      // so that every sample of the 5-minute windows of their rules is one of a blocked loop.
      let busy = true;
      const busyLoad = Promise.all(
        JOBS.flatMap((job) =>
          Array.from({ length: BUSY_CLIENTS }, async () => {
            while (busy) {
              const [status] = await sendAll(apps.get(job)!.base, [`/busy?ms=${BUSY_MS}`], 1);
              expect(status).toBe(200);
              count(sent, `${job} GET /busy 2XX`);
            }
          }),
        ),
      );
      try {
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
        ({ program: prometheus, api } = await startPrometheus(dir));
        await waitFor(
          async () => {
            const body = (await (await fetch(`${api}/api/v1/targets`)).json()) as {
              data: { activeTargets: Array<{ health: string }> };
            };
            const targets = body.data.activeTargets;
            return targets.length === JOBS.length && targets.every((t) => t.health === 'up')
              ? true
              : undefined;
          },
          15_000,
          'every example scraped',
        );
        // Both alert expressions hold for every app, and the rule manager has both alerts pending
        // (they fire only after 5 and 10 minutes).
        eventLoopSeen = await waitFor(
          async () => {
            const seen: Record<string, Sample[]> = {};
            for (const rule of alertRules().filter((r) => EVENT_LOOP_ALERTS.includes(r.alert))) {
              seen[rule.alert] = await query(rule.expr);
              if (seen[rule.alert]!.length !== JOBS.length) return undefined;
            }
            const body = (await (await fetch(`${api}/api/v1/alerts`)).json()) as {
              data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
            };
            for (const alert of EVENT_LOOP_ALERTS) {
              const pending = body.data.alerts.filter(
                (a) => a.labels.alertname === alert && a.state === 'pending',
              );
              if (pending.length !== JOBS.length) return undefined;
            }
            return seen;
          },
          30_000,
          'both event-loop alerts pending under the busy load',
        );
      } finally {
        busy = false;
        await busyLoad;
      }
      await waitFor(
        async () => {
          const totals = byJob(await query('sum by (job) (http_requests_total)'));
          return JOBS.every((job) => totals[job] === perJob(sent, job)) ? true : undefined;
        },
        10_000,
        'the warm-up and the busy load scraped',
      );

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

      // Slow requests to every app at once: 1.75 s ones, then many 4.25 s ones together.
      const slow = (n: number, ms: number) =>
        Promise.all(
          JOBS.flatMap((job) => Array.from({ length: n }, () => get(apps.get(job)!.base, `/slow?ms=${ms}`))),
        );
      expect((await slow(SLOW_SHORT, SLOW_SHORT_MS)).every((s) => s === 200)).toBe(true);
      const long = slow(SLOW_LONG, SLOW_LONG_MS);
      const inFlightAlert = alertRules().find((r) => r.alert === 'HttpRequestsInFlightHigh')!;
      const inFlight = new Map<string, Sample>();
      await waitFor(
        async () => {
          for (const s of await query(inFlightAlert.expr)) inFlight.set(s.metric.job!, s);
          return inFlight.size === JOBS.length ? true : undefined;
        },
        SLOW_LONG_MS - 500,
        `the in-flight alert condition for every app while ${SLOW_LONG} slow requests each are open`,
      );
      inFlightSeen = [...inFlight.values()];
      expect((await long).every((s) => s === 200)).toBe(true);
      for (const job of JOBS) {
        count(sent, `${job} GET /slow 2XX`, SLOW_SHORT + SLOW_LONG);
        count(measured, `${job} GET /slow 2XX`, SLOW_SHORT + SLOW_LONG);
      }

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

      // The busy requests after the first scrape, and their durations: under a shared CPU a
      // request that blocks for 0.1 s can take longer than 0.5 s to answer.
      const busyCounts = await rangeSeries('http_requests_total{route="/busy"}[5m]');
      const busyBuckets = await rangeSeries('http_request_duration_seconds_bucket{route="/busy"}[5m]');
      for (const job of JOBS) {
        expect(busyCounts.filter((s) => s.metric.job === job).length, job).toBe(1);
        busyMeasured[job] = increaseOf(busyCounts.filter((s) => s.metric.job === job));
        busyWithin[job] = (le) =>
          increaseOf(busyBuckets.filter((s) => s.metric.job === job && Number(s.metric.le) === le));
      }
    }, 90_000);

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
      // exactly the measured traffic; the busy load went on across the first scrape.
      const series = await rangeSeries('http_requests_total{route!="/busy"}[5m]');
      for (const job of JOBS) {
        expect(increaseOf(series.filter((s) => s.metric.job === job)), job).toBe(perJob(measured, job));
        expect(busyMeasured[job], job).toBeGreaterThan(0);
        expect(busyMeasured[job], job).toBeLessThan(perJob(sent, job, (k) => k.includes(' /busy ')));
      }
    });

    it('puts every request in the latency bucket its duration belongs to', async () => {
      const series = await rangeSeries('http_request_duration_seconds_bucket[5m]');
      const within = (job: string, routes: (route: string) => boolean, le: number) =>
        increaseOf(
          series.filter((s) => s.metric.job === job && routes(s.metric.route!) && Number(s.metric.le) === le),
        );
      const fast = (route: string) => route !== '/slow' && route !== '/busy';
      const slow = (route: string) => route === '/slow';
      for (const job of JOBS) {
        // Every fast request within 0.5 s; every busy one blocked the loop for 0.1 s, so took longer.
        expect(within(job, fast, 0.5), job).toBe(perJob(measured, job, (k) => !k.includes(' /slow ')));
        expect(
          within(job, (route) => route === '/busy', 0.1),
          job,
        ).toBe(0);
        // The slow ones in the buckets of their 1.75 s and 4.25 s.
        expect(within(job, slow, 1), job).toBe(0);
        expect(within(job, slow, 2.5), job).toBe(SLOW_SHORT);
        expect(within(job, slow, 5), job).toBe(SLOW_SHORT + SLOW_LONG);
      }
    });

    it('records request rates, error ratios and latency that agree with the traffic', async () => {
      // Per job, the requests after the first scrape: the measured traffic and the busy load's.
      const total = (job: string) => perJob(measured, job) + busyMeasured[job]!;
      // rate() over 5m of 10 s or more of samples extrapolates by at most ~1.5 s: between 1x and 1.25x.
      const rates = byJob(await query('sum by (job) (job_route:http_requests:rate5m)'));
      for (const job of JOBS) {
        expect(rates[job]! * 300, job).toBeGreaterThanOrEqual(total(job) * 0.99);
        expect(rates[job]! * 300, job).toBeLessThanOrEqual(total(job) * 1.25);
      }
      const errors = byJob(await query('job:slo_availability_errors:ratio_rate5m'));
      for (const job of JOBS) {
        const expected = perJob(measured, job, (k) => k.endsWith(' 5XX')) / total(job);
        expect(Math.abs(errors[job]! - expected), `${job}: ${errors[job]} vs ${expected}`).toBeLessThan(0.01);
      }
      const byRoute = await query('job_route:http_requests_errors:ratio_rate5m');
      for (const s of byRoute)
        expect(Number(s.value[1]), JSON.stringify(s.metric)).toBe(s.metric.route === '/boom' ? 1 : 0);

      const slow = byJob(await query('job:slo_latency_slow:ratio_rate5m'));
      for (const job of JOBS) {
        const busySlow = busyMeasured[job]! - busyWithin[job]!(0.5);
        const expected = (SLOW_SHORT + SLOW_LONG + busySlow) / total(job);
        expect(Math.abs(slow[job]! - expected), `${job}: ${slow[job]} vs ${expected}`).toBeLessThan(0.01);
      }
      // Quantiles, within the bucket holding the requests of that rank: per job 400 fast ones
      // within 0.5 s (most within 0.1 s), 60 in (1, 2.5], 110 in (2.5, 5], and the busy ones
      // (each over 0.1 s) wherever Prometheus counted them.
      const p = async (q: string) => byJob(await query(`job:http_request_duration_seconds:${q}_rate5m`));
      const [p50, p95, p99] = [await p('p50'), await p('p95'), await p('p99')];
      for (const job of JOBS) {
        const fast = perJob(measured, job, (k) => !k.includes(' /slow '));
        expect(total(job) / 2, `${job}: the median is a fast request`).toBeLessThan(fast);
        expect(p50[job], job).toBeLessThanOrEqual(0.1);
        // The quantile of the middle rank of the requests in (1, 2.5].
        const busy = busyWithin[job]!;
        const q = (fast + busy(1) + (SLOW_SHORT + busy(2.5) - busy(1)) / 2) / total(job);
        const short = Number(
          (
            await query(
              `histogram_quantile(${q}, sum by (le) (job_route_le:http_request_duration_seconds_bucket:rate5m{job="${job}"}))`,
            )
          )[0]?.value[1],
        );
        expect(short, `${job} p${q * 100}`).toBeGreaterThanOrEqual(1);
        expect(short, `${job} p${q * 100}`).toBeLessThanOrEqual(2.5);
        // p95 and p99 are ranks of requests in (2.5, 5].
        expect(0.95 * total(job), job).toBeGreaterThan(fast + busy(2.5) + SLOW_SHORT);
        expect(0.99 * total(job), job).toBeLessThanOrEqual(fast + busy(5) + SLOW_SHORT + SLOW_LONG);
        for (const [name, value] of [
          ['p95', p95[job]],
          ['p99', p99[job]],
        ] as const) {
          expect(value, `${job} ${name}`).toBeGreaterThanOrEqual(2.5);
          expect(value, `${job} ${name}`).toBeLessThanOrEqual(5);
        }
      }
      // In flight: more than 100 while the long slow requests were open, none now.
      expect(inFlightSeen.map((s) => s.metric.job).sort()).toEqual([...JOBS].sort());
      for (const s of inFlightSeen) {
        expect(Number(s.value[1]), s.metric.job).toBeGreaterThan(100);
        expect(Number(s.value[1]), s.metric.job).toBeLessThanOrEqual(SLOW_LONG);
      }
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
      // SLO alerts: 5-9 % of 5XX burns every availability budget (0.1 %) far above 14.4x, and
      // 20-30 % of slow requests every latency budget (1 %).
      const holdsFor: Record<string, string[]> = {
        HttpAvailabilityBurnRate1h: JOBS,
        HttpAvailabilityBurnRate6h: JOBS,
        HttpAvailabilityBurnRate3d: JOBS,
        HttpLatencyBurnRate1h: JOBS,
        HttpLatencyBurnRate6h: JOBS,
        HttpLatencyBurnRate3d: JOBS,
      };
      for (const rule of alertRules()) {
        const result = await query(rule.expr);
        const threshold = /^([\s\S]*\S)\s*>\s*([0-9.]+)\s*$/.exec(rule.expr.trim());
        if (rule.alert in holdsFor) {
          expect(result.map((s) => s.metric.job).sort(), rule.alert).toEqual(
            [...holdsFor[rule.alert]!].sort(),
          );
        } else if (threshold) {
          // Saturation alerts (the examples are idle now; the event-loop ones held under the busy
          // load, the in-flight one during the long slow requests): the operand has data for
          // every app, and the alert returns exactly the series above the threshold.
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

    it('had both event-loop alerts hold and pending for every app under the busy load', async () => {
      // What the alert expressions returned then (the rule manager had both pending at that time):
      // the loop lagged over 100 ms and was busy over 90 % of the time, on average over every sample.
      const thresholds: Record<string, number> = {
        NodeEventLoopLagHigh: 0.1,
        NodeEventLoopUtilizationHigh: 0.9,
      };
      expect(Object.keys(eventLoopSeen).sort()).toEqual([...EVENT_LOOP_ALERTS].sort());
      for (const [alert, samples] of Object.entries(eventLoopSeen)) {
        expect(samples.map((s) => s.metric.job).sort(), alert).toEqual([...JOBS].sort());
        for (const s of samples)
          expect(Number(s.value[1]), `${alert} ${s.metric.job}`).toBeGreaterThan(thresholds[alert]!);
      }
      // The rule manager recorded them pending, never firing (they wait 5 and 10 minutes).
      const states = await query(
        `count by (alertname, alertstate, job) (max_over_time(ALERTS{alertname=~"${EVENT_LOOP_ALERTS.join('|')}"}[5m]))`,
      );
      expect(
        states.map((s) => `${s.metric.alertname} ${s.metric.alertstate} ${s.metric.job}`).sort(),
      ).toEqual(EVENT_LOOP_ALERTS.flatMap((alert) => JOBS.map((job) => `${alert} pending ${job}`)).sort());
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
        '/busy',
        '/redirect',
        '/slow',
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
