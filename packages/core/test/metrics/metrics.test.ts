import { describe, expect, it } from 'vitest';
import {
  Counter,
  DEFAULT_BUCKETS,
  exponentialBuckets,
  Gauge,
  Histogram,
  isMetricsError,
  linearBuckets,
  type MetricsErrorCode,
  Registry,
} from '../../src/index.js';

const isolated = () => new Registry({ storage: false });

/** Asserts a MetricsError with that code whose message quotes the bad value. */
function expectError(fn: () => unknown, code: MetricsErrorCode, named: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(isMetricsError(caught), `expected a MetricsError ${code}, got ${String(caught)}`).toBe(true);
  expect(caught).toMatchObject({ code, name: 'MetricsError' });
  expect((caught as Error).message).toContain(named);
}

describe('Counter', () => {
  it('counts with and without labels, by one or by any finite amount >= 0', () => {
    const registry = isolated();
    const plain = new Counter({ name: 'plain_total', help: 'p', registers: [registry] });
    plain.inc();
    plain.inc(2.5);
    plain.inc(0);
    const labelled = new Counter({
      name: 'l_total',
      help: 'l',
      labelNames: ['a', 'b'],
      registers: [registry],
    });
    labelled.inc({ a: 'x', b: 'y' });
    labelled.inc({ a: 'x', b: 'y' }, 4);
    expect(registry.metrics()).toContain('plain_total 3.5\n');
    expect(registry.metrics()).toContain('l_total{a="x",b="y"} 5\n');
  });

  it('accepts {} for a metric without labels, as prom-client code passes it', () => {
    const registry = isolated();
    const c = new Counter({ name: 'c_total', help: 'c', registers: [registry] });
    c.inc({}, 2);
    c.labels({}).inc();
    expect(registry.metrics()).toContain('c_total 3\n');
    expectError(() => c.inc({ a: 'x' } as never), 'UNKNOWN_LABEL', '"a"');
  });

  it('refuses negative, NaN and infinite increments, naming the value', () => {
    const c = new Counter({ name: 'c_total', help: 'c', registers: [] });
    expectError(() => c.inc(-1), 'INVALID_VALUE', '-1');
    expectError(() => c.inc(Number.NaN), 'INVALID_VALUE', 'NaN');
    expectError(() => c.inc(Number.POSITIVE_INFINITY), 'INVALID_VALUE', 'Infinity');
    expect(c.labels().get()).toBe(0);
  });

  it('hands out one bound child per label set, by object or by position, numbers folded into strings', () => {
    const registry = isolated();
    const c = new Counter({
      name: 'r_total',
      help: 'r',
      labelNames: ['method', 'status'],
      registers: [registry],
    });
    const child = c.labels({ method: 'GET', status: 200 });
    expect(c.labels('GET', '200')).toBe(child);
    expect(c.labels({ status: '200', method: 'GET' })).toBe(child);
    child.inc();
    c.inc({ method: 'GET', status: 200 }, 2);
    expect(child.get()).toBe(3);
    expect(registry.metrics()).toContain('r_total{method="GET",status="200"} 3\n');
    expectError(() => child.inc(-2), 'INVALID_VALUE', '-2');
  });

  it('gives prom-client shaped values from get(): a promise, no metricName on a counter sample', async () => {
    const c = new Counter({ name: 'g_total', help: 'g', labelNames: ['a'], registers: [] });
    c.inc({ a: 'x' }, 2);
    expect(await c.get()).toEqual({
      name: 'g_total',
      help: 'g',
      type: 'counter',
      values: [{ labels: { a: 'x' }, value: 2 }],
      aggregator: 'sum',
    });
  });

  it('removes one series, by object or position; reset drops labelled series and zeroes plain ones', async () => {
    const registry = isolated();
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers: [registry] });
    const plain = new Counter({ name: 'p_total', help: 'p', registers: [registry] });
    for (const a of ['x', 'y', 'z']) c.inc({ a });
    plain.inc(5);
    c.remove({ a: 'x' });
    c.remove('y');
    c.remove({ a: 'never-seen' });
    expect((await c.get()).values.map((v) => v.labels.a)).toEqual(['z']);
    c.reset();
    plain.reset();
    expect((await c.get()).values).toEqual([]);
    expect(registry.metrics()).toContain('p_total 0\n');
    c.inc({ a: 'x' });
    expect((await c.get()).values).toEqual([{ labels: { a: 'x' }, value: 1 }]);
  });
});

describe('series lookup', () => {
  it('finds the same series for a value as string or number, before and after a node outgrows its short list', async () => {
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['code', 'route'], registers: [] });
    for (let round = 0; round < 2; round++) {
      for (let code = 200; code < 220; code++) {
        c.inc({ code, route: '/a' });
        c.inc({ code: String(code), route: '/a' });
        c.inc({ code, route: `/r${code}` });
      }
    }
    const values = (await c.get()).values;
    expect(values).toHaveLength(40);
    for (const v of values) expect(v.value).toBe(v.labels.route === '/a' ? 4 : 2);
    c.remove({ code: 205, route: '/a' });
    expect((await c.get()).values).toHaveLength(39);
    c.inc({ code: '205', route: '/a' });
    expect(
      (await c.get()).values.find((v) => v.labels.code === '205' && v.labels.route === '/a')?.value,
    ).toBe(1);
  });

  it('keeps one series for a NaN label value however often it comes', async () => {
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['x'], registers: [] });
    for (let i = 0; i < 50; i++) c.inc({ x: Number.NaN });
    expect((await c.get()).values).toEqual([{ labels: { x: 'NaN' }, value: 50 }]);
  });

  it('refuses an unknown label on the fast path too, once the series exists', () => {
    const c = new Counter({ name: 'c_total', help: 'c', labelNames: ['a'], registers: [] });
    c.inc({ a: '1' });
    expectError(() => c.inc({ a: '1', b: '2' } as never), 'UNKNOWN_LABEL', '"b"');
  });
});

describe('Gauge', () => {
  it('sets, increments, decrements, with labels or bound', () => {
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['k'], registers: [] });
    g.set({ k: 'a' }, 10);
    g.inc({ k: 'a' });
    g.inc({ k: 'a' }, 5);
    g.dec({ k: 'a' }, 2);
    g.dec({ k: 'a' });
    const child = g.labels('b');
    child.set(-3);
    child.inc(-1);
    child.dec(-10);
    expect(g.labels({ k: 'a' }).get()).toBe(13);
    expect(child.get()).toBe(6);
  });

  it('takes NaN and ±Inf, which gauges may hold, but not a non-number', () => {
    const g = new Gauge({ name: 'g', help: 'g', registers: [] });
    g.set(Number.NaN);
    expect(g.labels().get()).toBeNaN();
    g.set(Number.NEGATIVE_INFINITY);
    expect(g.labels().get()).toBe(Number.NEGATIVE_INFINITY);
    expectError(() => g.set('3' as unknown as number), 'INVALID_VALUE', 'string');
  });

  it('sets the current time in seconds', () => {
    const g = new Gauge({ name: 't_seconds', help: 't', registers: [] });
    const before = Date.now() / 1000;
    g.setToCurrentTime();
    const after = Date.now() / 1000;
    expect(g.labels().get()).toBeGreaterThanOrEqual(before);
    expect(g.labels().get()).toBeLessThanOrEqual(after);
  });

  it('startTimer sets the elapsed seconds it returns, with labels at start, end, or on a bound child', async () => {
    const g = new Gauge({ name: 'd_seconds', help: 'd', labelNames: ['a', 'b'], registers: [] });
    const end = g.startTimer({ a: '1' });
    const child = g.labels('c', 'd');
    const endChild = child.startTimer();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const seconds = end({ b: '2' });
    expect(seconds).toBeGreaterThan(0);
    expect(g.labels({ a: '1', b: '2' }).get()).toBe(seconds);
    expect(endChild()).toBe(child.get());
    const plain = new Gauge({ name: 'p_seconds', help: 'p', registers: [] });
    expect(plain.startTimer()()).toBe(plain.labels().get());
  });
});

describe('Histogram', () => {
  it('counts each observation in the first bucket whose bound is >= it, and keeps sum and count', () => {
    const registry = isolated();
    const h = new Histogram({ name: 'h_seconds', help: 'h', buckets: [1, 2, 5], registers: [registry] });
    for (const v of [-3, 0.5, 1, 1.5, 2, 7]) h.observe(v);
    const child = h.labels();
    expect([0, 1, 2, 3].map((i) => child.bucketCount(i))).toEqual([3, 2, 0, 1]);
    expect(child.getSum()).toBe(9);
    expect(child.getCount()).toBe(6);
    expect(registry.metrics()).toContain(
      'h_seconds_bucket{le="1.0"} 3\nh_seconds_bucket{le="2.0"} 5\nh_seconds_bucket{le="5.0"} 5\nh_seconds_bucket{le="+Inf"} 6\nh_seconds_sum 9\nh_seconds_count 6\n',
    );
  });

  it("defaults to OpenTelemetry's HTTP duration buckets", () => {
    const h = new Histogram({ name: 'h', help: 'h', registers: [] });
    expect(h.buckets).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
    expect(DEFAULT_BUCKETS).toEqual(h.buckets);
  });

  it('observes with labels and bound children, and startTimer observes the seconds it returns', () => {
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['route'], buckets: [1], registers: [] });
    h.observe({ route: '/a' }, 0.5);
    const child = h.labels('/a');
    child.observe(3);
    const seconds = h.startTimer({ route: '/a' })();
    expect(child.getCount()).toBe(3);
    expect(child.getSum()).toBe(3.5 + seconds);
    const fromChild = child.startTimer()();
    expect(child.getSum()).toBe(3.5 + seconds + fromChild);
    const late = h.startTimer();
    late({ route: '/b' });
    expect(h.labels('/b').getCount()).toBe(1);
  });

  it('startTimer merges labels given at start and at end, the end ones winning, and copies neither', () => {
    const h = new Histogram({
      name: 'h',
      help: 'h',
      labelNames: ['method', 'status'],
      buckets: [1],
      registers: [],
    });
    const atStart = { method: 'GET', status: 'pending' };
    const end = h.startTimer(atStart);
    end({ status: '2XX' });
    expect(h.labels('GET', '2XX').getCount()).toBe(1);
    expect(atStart).toEqual({ method: 'GET', status: 'pending' });
    expect(() => h.startTimer({ method: 'GET' })()).toThrow(/status/);
  });

  it('zero() exports a series at 0 without an observation', () => {
    const registry = isolated();
    const h = new Histogram({ name: 'h', help: 'h', labelNames: ['r'], buckets: [1], registers: [registry] });
    h.zero({ r: 'x' });
    expect(registry.metrics()).toContain('h_bucket{r="x",le="+Inf"} 0\nh_sum{r="x"} 0\nh_count{r="x"} 0\n');
  });

  it('refuses non-finite observations and bad buckets, naming them', () => {
    const h = new Histogram({ name: 'h', help: 'h', registers: [] });
    expectError(() => h.observe(Number.NaN), 'INVALID_VALUE', 'NaN');
    expectError(() => h.observe(Number.POSITIVE_INFINITY), 'INVALID_VALUE', 'Infinity');
    expectError(() => h.labels().observe(Number.NEGATIVE_INFINITY), 'INVALID_VALUE', '-Infinity');
    expectError(
      () => new Histogram({ name: 'b', help: 'b', buckets: [2, 1], registers: [] }),
      'INVALID_BUCKETS',
      '1 follows 2',
    );
    expectError(
      () => new Histogram({ name: 'b', help: 'b', buckets: [1, 1], registers: [] }),
      'INVALID_BUCKETS',
      '1 follows 1',
    );
    expectError(
      () => new Histogram({ name: 'b', help: 'b', buckets: [Number.NaN], registers: [] }),
      'INVALID_BUCKETS',
      'NaN',
    );
    expectError(
      () => new Histogram({ name: 'b', help: 'b', buckets: [], registers: [] }),
      'INVALID_BUCKETS',
      'b:',
    );
  });

  it('takes a trailing +Inf bucket as given and does not repeat it', () => {
    const h = new Histogram({ name: 'h', help: 'h', buckets: [1, Number.POSITIVE_INFINITY], registers: [] });
    expect(h.buckets).toEqual([1]);
  });
});

describe('bucket helpers', () => {
  it('linearBuckets and exponentialBuckets give prom-client values', () => {
    expect(linearBuckets(0, 0.5, 4)).toEqual([0, 0.5, 1, 1.5]);
    expect(linearBuckets(-1, 1, 3)).toEqual([-1, 0, 1]);
    expect(exponentialBuckets(1, 2, 5)).toEqual([1, 2, 4, 8, 16]);
    expect(exponentialBuckets(0.001, 10, 3)).toEqual([0.001, 0.01, 0.1]);
  });

  it('refuse arguments that cannot make increasing buckets', () => {
    expectError(() => linearBuckets(0, 0, 3), 'INVALID_BUCKETS', 'linearBuckets(0, 0, 3)');
    expectError(() => linearBuckets(0, 1, 0), 'INVALID_BUCKETS', 'linearBuckets(0, 1, 0)');
    expectError(() => linearBuckets(0, 1, 1.5), 'INVALID_BUCKETS', '1.5');
    expectError(() => exponentialBuckets(0, 2, 3), 'INVALID_BUCKETS', 'exponentialBuckets(0, 2, 3)');
    expectError(() => exponentialBuckets(1, 1, 3), 'INVALID_BUCKETS', 'exponentialBuckets(1, 1, 3)');
  });
});

describe('validation', () => {
  it('refuses metric names outside the Prometheus data model, quoting them', () => {
    for (const name of ['1abc', 'a-b', '', 'with space', 'é']) {
      expectError(
        () => new Counter({ name, help: 'h', registers: [] }),
        'INVALID_NAME',
        JSON.stringify(name),
      );
    }
    expectError(
      () => new Gauge({ name: 42 as unknown as string, help: 'h', registers: [] }),
      'INVALID_NAME',
      '42',
    );
    expect(() => new Gauge({ name: 'ns:sub_name', help: 'h', registers: [] })).not.toThrow();
  });

  it('refuses invalid, duplicated and reserved label names', () => {
    const make = (labelNames: string[]) => () =>
      new Gauge({ name: 'g', help: 'h', labelNames, registers: [] });
    expectError(make(['1a']), 'INVALID_LABEL_NAME', '"1a"');
    expectError(make(['a-b']), 'INVALID_LABEL_NAME', '"a-b"');
    expectError(make(['a:b']), 'INVALID_LABEL_NAME', '"a:b"');
    expectError(make(['a', 'a']), 'INVALID_LABEL_NAME', '"a" appears twice');
    expectError(make(['__name__']), 'RESERVED_LABEL', '"__name__"');
    expectError(make(['__x']), 'RESERVED_LABEL', '"__x"');
    expectError(
      () => new Histogram({ name: 'h', help: 'h', labelNames: ['le'], registers: [] }),
      'RESERVED_LABEL',
      '"le"',
    );
    // `le` belongs to histograms and `quantile` to summaries (which core has not); elsewhere they are plain labels.
    expect(make(['le', 'quantile'])).not.toThrow();
  });

  it('refuses unknown and missing labels, and label values that are not strings or numbers', () => {
    const c = new Counter({ name: 'c_total', help: 'h', labelNames: ['route', 'status'], registers: [] });
    expectError(
      () => c.inc({ route: '/', status: '2XX', method: 'GET' } as never),
      'UNKNOWN_LABEL',
      '"method"',
    );
    expectError(() => c.inc({ route: '/' }), 'MISSING_LABEL', '"status"');
    expectError(() => c.inc(), 'MISSING_LABEL', 'route, status');
    expectError(() => c.labels('/'), 'MISSING_LABEL', 'route, status');
    expectError(() => c.labels('/', '2XX', 'x'), 'UNKNOWN_LABEL', '3 label value(s)');
    expectError(() => c.inc({ route: {} as unknown as string, status: '2XX' }), 'INVALID_VALUE', '"route"');
  });

  it('refuses a missing or blank help text', () => {
    expectError(() => new Counter({ name: 'c_total', registers: [] } as never), 'MISSING_HELP', 'c_total');
    expectError(() => new Counter({ name: 'c_total', help: '', registers: [] }), 'MISSING_HELP', 'c_total');
    expectError(() => new Counter({ name: 'c_total', help: ' \t', registers: [] }), 'MISSING_HELP', '" \\t"');
  });

  it('refuses a configuration that is not an object, a bad prefix or a bad collect', () => {
    expectError(() => new Counter(null as never), 'INVALID_OPTION', '{ name, help');
    expectError(
      () => new Counter({ name: 'c', help: 'h', prefix: 'my app', registers: [] }),
      'INVALID_OPTION',
      '"my app"',
    );
    expectError(
      () => new Counter({ name: 'c', help: 'h', collect: 1 as never, registers: [] }),
      'INVALID_OPTION',
      'collect',
    );
  });

  it('turns an mmstats prefix into a Prometheus name prefix', () => {
    const registry = isolated();
    new Counter({ name: 'requests_total', help: 'h', prefix: 'web.stats.', registers: [registry] }).inc();
    expect(registry.metrics()).toContain('web_stats_requests_total 1\n');
  });

  it('replaces lone surrogates in label values and help, so the output is valid UTF-8', () => {
    const registry = isolated();
    const g = new Gauge({ name: 'g', help: 'bad \ud800 help', labelNames: ['v'], registers: [registry] });
    g.set({ v: 'x\udc00y' }, 1);
    const text = registry.metrics() as string;
    expect(text).toContain('g{v="x\ufffdy"} 1');
    expect(text).toContain('# HELP g bad \ufffd help');
    expect(text.isWellFormed()).toBe(true);
  });
});
