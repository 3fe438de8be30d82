import * as prom from 'prom-client';
import { describe, expect, it } from 'vitest';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  openMetricsContentType,
  prometheusContentType,
  Registry,
  register,
  validateMetricName,
} from '../../src/index.js';

const isolated = () => new Registry({ storage: false });

describe('custom collectors, as prom-client registers them', () => {
  const collector = (value: number) => ({
    name: 'queue_depth',
    help: 'Jobs waiting.',
    type: 'gauge',
    get: () => ({
      name: 'queue_depth',
      help: 'Jobs waiting.',
      type: 'gauge',
      values: [{ value, labels: { queue: 'mail' } }],
    }),
  });

  it('accepts a plain { name, help, type, get() } object and renders what get() returns, like prom-client', async () => {
    const ours = isolated();
    const theirs = new prom.Registry();
    const object = collector(3);
    ours.registerMetric(object);
    theirs.registerMetric(collector(3) as unknown as prom.Metric);
    expect(await ours.metrics()).toBe(await theirs.metrics());
    expect(ours.getSingleMetric('queue_depth')).toBe(object);
    expect(await ours.getMetricsAsJSON()).toEqual([object.get()]);
  });

  it('awaits an async get(), in both formats', async () => {
    const registry = isolated();
    registry.registerMetric({
      name: 'jobs_total',
      help: 'Jobs done.',
      type: 'counter',
      get: async () => ({
        name: 'jobs_total',
        help: 'Jobs done.',
        type: 'counter',
        values: [{ value: 7, labels: {} }],
      }),
    });
    expect(await registry.metrics()).toBe(
      '# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 7\n',
    );
    expect(await registry.metrics('openmetrics')).toBe(
      '# HELP jobs Jobs done.\n# TYPE jobs counter\njobs_total 7\n# EOF\n',
    );
  });

  it('refuses an object without get(), and a taken name, saying why', () => {
    const registry = isolated();
    expect(() => registry.registerMetric({ name: 'x' } as never)).toThrow(/no get\(\) method/);
    new Gauge({ name: 'queue_depth', help: 'g', registers: [registry] });
    expect(() => registry.registerMetric(collector(1))).toThrow(/already registered/);
  });
});

describe('setDefaultLabels', () => {
  it('adds the labels to every series in text, OpenMetrics and JSON; a series label of that name wins', async () => {
    const registry = isolated();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['app'], registers: [registry] });
    const h = new Histogram({ name: 'h', help: 'h', buckets: [1], registers: [registry] });
    registry.setDefaultLabels({ app: 'api', region: 'eu' });
    c.inc({ app: 'own' });
    h.observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain('c_total{app="own",region="eu"} 1\n');
    expect(text).toContain('h_bucket{le="1.0",app="api",region="eu"} 1\n');
    expect(text).toContain('h_sum{app="api",region="eu"} 0.5\n');
    expect(await registry.metrics('openmetrics')).toContain('c_total{app="own",region="eu"} 1\n');
    const json = await registry.getMetricsAsJSON();
    expect(json[0]?.values[0]?.labels).toEqual({ app: 'own', region: 'eu' });
    registry.setDefaultLabels({});
    expect(await registry.metrics()).toContain('c_total{app="own"} 1\n');
  });

  it('gives the same JSON labels as prom-client', async () => {
    const ours = isolated();
    const theirs = new prom.Registry();
    for (const [registry, Kind] of [
      [ours, Gauge],
      [theirs, prom.Gauge],
    ] as const) {
      registry.setDefaultLabels({ service: 'checkout' });
      new Kind({ name: 'g', help: 'g', labelNames: ['a'], registers: [registry as never] }).set(
        { a: 'x' },
        1,
      );
    }
    const a = (await ours.getMetricsAsJSON())[0]!.values;
    const b = (await theirs.getMetricsAsJSON())[0]!.values;
    expect(a).toEqual(b);
  });
});

describe('prom-client names and statics', () => {
  it('validateMetricName answers true or false, as prom-client', () => {
    for (const name of ['http_requests_total', 'a:b', '_x', '1abc', 'a-b', '']) {
      expect(validateMetricName(name)).toBe(prom.validateMetricName(name));
    }
  });

  it('has the Registry statics, globalRegistry being the default registry', () => {
    expect(Registry.PROMETHEUS_CONTENT_TYPE).toBe(prom.Registry.PROMETHEUS_CONTENT_TYPE);
    expect(Registry.OPENMETRICS_CONTENT_TYPE).toBe(prom.Registry.OPENMETRICS_CONTENT_TYPE);
    expect(prometheusContentType).toBe(prom.prometheusContentType);
    expect(openMetricsContentType).toBe(prom.openMetricsContentType);
    expect(Registry.globalRegistry).toBe(register);
  });

  it('new Registry(contentType) renders that format by default and rejects other types', async () => {
    const registry = new Registry(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc();
    // A registry with storage also writes its own health families after the application's.
    const text = await registry.metrics();
    expect(text.startsWith('# HELP x x\n# TYPE x counter\nx_total 1\n')).toBe(true);
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(() => new Registry('text/html' as never)).toThrow(/Unsupported content type "text\/html"/);
  });

  it('getSingleMetricAsString gives one family as prom-client does', async () => {
    const ours = isolated();
    const theirs = new prom.Registry();
    new Counter({ name: 'one_total', help: 'One', labelNames: ['a'], registers: [ours] }).inc({ a: 'x' });
    new prom.Counter({ name: 'one_total', help: 'One', labelNames: ['a'], registers: [theirs] }).inc({
      a: 'x',
    });
    expect(await ours.getSingleMetricAsString('one_total')).toBe(
      await theirs.getSingleMetricAsString('one_total'),
    );
    await expect(ours.getSingleMetricAsString('nope')).rejects.toThrow(/no metric "nope"/);
  });

  it('merge() keeps the content type and refuses registries of different types', () => {
    const om = () => new Registry({ storage: false, contentType: Registry.OPENMETRICS_CONTENT_TYPE });
    expect(Registry.merge([om(), om()]).contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(() => Registry.merge([om(), isolated()])).toThrow(/different content types/);
    expect(() =>
      prom.Registry.merge([
        new (prom.Registry as unknown as new (type: string) => prom.Registry)(
          prom.Registry.OPENMETRICS_CONTENT_TYPE,
        ),
        new prom.Registry(),
      ]),
    ).toThrow();
  });
});

describe('get() and getMetricsAsJSON() shapes, as prom-client', () => {
  const pair = () => ({ ours: isolated(), theirs: new prom.Registry() });

  it('histogram: le as a number, "+Inf" last, metricName on every sample', async () => {
    const { ours, theirs } = pair();
    const a = new Histogram({
      name: 'h',
      help: 'h',
      labelNames: ['r'],
      buckets: [0.1, 1],
      registers: [ours],
    });
    const b = new prom.Histogram({
      name: 'h',
      help: 'h',
      labelNames: ['r'],
      buckets: [0.1, 1],
      registers: [theirs],
    });
    a.observe({ r: 'x' }, 0.5);
    b.observe({ r: 'x' }, 0.5);
    const strip = (values: { labels: object; value: number; metricName?: string }[]) =>
      values.map(({ labels, value, metricName }) => ({ labels, value, metricName }));
    expect(strip((await a.get()).values)).toEqual(strip((await b.get()).values));
    expect((await a.get()).values[0]?.labels.le).toBe(0.1);
  });

  it('counter and gauge: no metricName; get() is async and runs collect first', async () => {
    let calls = 0;
    const g = new Gauge({
      name: 'g',
      help: 'g',
      registers: [],
      collect() {
        calls++;
        g.set(calls * 10);
      },
    });
    const promise = g.get();
    expect(promise).toBeInstanceOf(Promise);
    expect((await promise).values).toEqual([{ labels: {}, value: 10 }]);
    const theirs = new prom.Gauge({ name: 'g', help: 'g', registers: [] });
    theirs.set(10);
    expect((await theirs.get()).values).toEqual([{ labels: {}, value: 10 }]);
  });

  it('remove() with more values than labels throws, as prom-client does', () => {
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers: [] });
    c.inc({ a: 'x' });
    expect(() => c.remove('x', 'y')).toThrow(/got 2 label value\(s\) for \[a\]/);
    const theirs = new prom.Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers: [] });
    expect(() => (theirs.remove as (...v: string[]) => void)('x', 'y')).toThrow();
  });

  it('histogram reset() leaves no series on an unlabelled histogram, as prom-client', async () => {
    const a = new Histogram({ name: 'h', help: 'h', registers: [] });
    const b = new prom.Histogram({ name: 'h', help: 'h', registers: [] });
    a.observe(1);
    b.observe(1);
    a.reset();
    b.reset();
    expect((await a.get()).values).toEqual([]);
    expect((await b.get()).values).toEqual([]);
  });
});

describe('collectDefaultMetrics called again', () => {
  it('with the same options does nothing; after registry.clear() takes the new options, as prom-client', async () => {
    const registry = isolated();
    collectDefaultMetrics({ register: registry });
    const count = registry.getMetricsAsArray().length;
    collectDefaultMetrics({ register: registry });
    expect(registry.getMetricsAsArray()).toHaveLength(count);
    registry.clear();
    collectDefaultMetrics({ register: registry, prefix: 'app_' });
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toContain('app_process_cpu_seconds_total');
    expect(names).not.toContain('process_cpu_seconds_total');
  });

  it('with another prefix adds a second set, as prom-client', () => {
    const registry = isolated();
    collectDefaultMetrics({ register: registry });
    collectDefaultMetrics({ register: registry, prefix: 'b_' });
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toContain('process_cpu_seconds_total');
    expect(names).toContain('b_process_cpu_seconds_total');
  });

  it('leaves out a label whose value is undefined (prom-client README: NODE_APP_INSTANCE)', async () => {
    const registry = isolated();
    expect(() =>
      collectDefaultMetrics({ register: registry, labels: { NODE_APP_INSTANCE: undefined, app: 'x' } }),
    ).not.toThrow();
    const text = await registry.metrics();
    expect(text).toContain('nodejs_version_info{');
    expect(text).not.toContain('NODE_APP_INSTANCE');
    expect(text).toMatch(/process_cpu_seconds_total\{app="x"\} /);
  });
});

describe('get() label objects', () => {
  it('takes le only from histogram buckets: a label ending in "le" (file) stays itself', async () => {
    const c = new Counter({ name: 'files_total', help: 'f', labelNames: ['file'], registers: [] });
    c.inc({ file: 'a.txt' });
    expect((await c.get()).values).toEqual([{ labels: { file: 'a.txt' }, value: 1 }]);
  });
});
