import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Counter,
  defaultRegistry,
  Gauge,
  Histogram,
  isMetricsError,
  Registry,
  register,
} from '../../src/index.js';

const isolated = () => new Registry({ storage: false });

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (error) {
    expect(isMetricsError(error)).toBe(true);
    return error as Error & { code?: string };
  }
  throw new Error('expected a MetricsError');
}

describe('registration', () => {
  it('refuses a second metric of the same name and names both', () => {
    const registry = isolated();
    new Counter({ name: 'jobs_total', help: 'Jobs done.', labelNames: ['queue'], registers: [registry] });
    const error = thrown(
      () => new Gauge({ name: 'jobs_total', help: 'Jobs waiting.', registers: [registry] }),
    );
    expect(error.code).toBe('DUPLICATE_METRIC');
    expect(error.message).toContain('gauge "jobs_total" (help "Jobs waiting."');
    expect(error.message).toContain('counter "jobs_total" (help "Jobs done.", labels [queue])');
    expect(error.message).toContain('getOrCreate');
  });

  it('refuses metrics whose samples would share names, naming both', () => {
    const registry = isolated();
    new Histogram({ name: 'latency', help: 'h', registers: [registry] });
    const bucket = thrown(() => new Gauge({ name: 'latency_bucket', help: 'g', registers: [registry] }));
    expect(bucket.code).toBe('DUPLICATE_METRIC');
    expect(bucket.message).toMatch(/gauge "latency_bucket".*histogram "latency"/);
    new Counter({ name: 'events', help: 'c', registers: [registry] });
    const total = thrown(() => new Gauge({ name: 'events_total', help: 'g', registers: [registry] }));
    expect(total.message).toMatch(/gauge "events_total".*counter "events"/);
  });

  it('leaves the registry as it was when a registration fails', () => {
    const registry = isolated();
    new Counter({ name: 'a_total', help: 'a', registers: [registry] });
    thrown(() => new Counter({ name: 'a_total', help: 'again', registers: [registry] }));
    expect(registry.getMetricsAsArray().map((m) => m.help)).toEqual(['a']);
  });

  it('registers one metric in several registries, and nowhere with registers: []', () => {
    const a = isolated();
    const b = isolated();
    const c = new Counter({ name: 'c_total', help: 'c', registers: [a, b] });
    c.inc();
    expect(a.metrics()).toBe(b.metrics());
    new Counter({ name: 'lonely_total', help: 'l', registers: [] }).inc();
    expect(a.getSingleMetric('lonely_total')).toBeUndefined();
    expect(defaultRegistry().getSingleMetric('lonely_total')).toBeUndefined();
  });
});

describe('getOrCreate', () => {
  it('returns the registered metric for the same definition, for hot reload and tests', () => {
    const registry = isolated();
    const config = { name: 'reqs_total', help: 'r', labelNames: ['route'] };
    const first = registry.getOrCreate(Counter, config);
    const second = registry.getOrCreate(Counter, { ...config, help: 'reworded' });
    expect(second).toBe(first);
    first.inc({ route: '/' });
    expect(registry.getOrCreate(Counter, config).labels('/').get()).toBe(1);
    const h = registry.getOrCreate(Histogram, { name: 'h', help: 'h', buckets: [1, 2] });
    expect(registry.getOrCreate(Histogram, { name: 'h', help: 'h' })).toBe(h);
    expect(registry.getOrCreate(Histogram, { name: 'h', help: 'h', buckets: [1, 2] })).toBe(h);
  });

  it('refuses a different kind, different labels or different buckets under the same name', () => {
    const registry = isolated();
    registry.getOrCreate(Counter, { name: 'x_total', help: 'x', labelNames: ['a'] });
    registry.getOrCreate(Histogram, { name: 'h', help: 'h', buckets: [1] });
    for (const fn of [
      () => registry.getOrCreate(Gauge, { name: 'x_total', help: 'x', labelNames: ['a'] }),
      () => registry.getOrCreate(Counter, { name: 'x_total', help: 'x', labelNames: ['b'] }),
      () => registry.getOrCreate(Histogram, { name: 'h', help: 'h', buckets: [2] }),
    ]) {
      const error = thrown(fn);
      expect(error.code).toBe('DUPLICATE_METRIC');
      expect(error.message).toMatch(/"(x_total|h)"/);
    }
  });
});

describe('Registry.merge', () => {
  it('lists the metrics of several registries, sharing their values', () => {
    const a = isolated();
    const b = isolated();
    const ca = new Counter({ name: 'a_total', help: 'a', registers: [a] });
    new Gauge({ name: 'b', help: 'b', registers: [b] }).set(2);
    const merged = Registry.merge([a, b]);
    ca.inc(3);
    expect(merged.metrics()).toBe(`${a.metrics()}${b.metrics()}`);
    expect(merged.metrics()).toContain('a_total 3\n');
  });

  it('refuses registries whose metrics clash, naming both', () => {
    const a = isolated();
    const b = isolated();
    new Counter({ name: 'same_total', help: 'in a', registers: [a] });
    new Counter({ name: 'same_total', help: 'in b', registers: [b] });
    const error = thrown(() => Registry.merge([a, b]));
    expect(error.code).toBe('DUPLICATE_METRIC');
    expect(error.message).toContain('"in a"');
    expect(error.message).toContain('"in b"');
  });
});

describe('the default registry', () => {
  let dir: string;
  const previous = process.env.MMSTATS_PATH;
  beforeAll(() => {
    // Should the default registry ever write files, they go to a directory this test removes.
    dir = mkdtempSync(join(tmpdir(), 'mmstats-registry-'));
    process.env.MMSTATS_PATH = dir;
  });
  afterAll(() => {
    defaultRegistry().clear();
    defaultRegistry().close();
    if (previous === undefined) delete process.env.MMSTATS_PATH;
    else process.env.MMSTATS_PATH = previous;
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes metrics created without registers, and is exported as `register` like prom-client', () => {
    expect(register).toBe(defaultRegistry());
    const c = new Counter({ name: 'default_only_total', help: 'd' });
    c.inc();
    expect(register.getSingleMetric('default_only_total')).toBe(c);
    expect(register.metrics()).toContain('default_only_total 1\n');
  });

  it('is separate from isolated registries', () => {
    const registry = isolated();
    new Counter({ name: 'isolated_only_total', help: 'i', registers: [registry] });
    expect(register.getSingleMetric('isolated_only_total')).toBeUndefined();
    expect(registry.getSingleMetric('default_only_total')).toBeUndefined();
    expect(
      () => new Counter({ name: 'default_only_total', help: 'again', registers: [registry] }),
    ).not.toThrow();
  });
});

describe('remove, clear and reset', () => {
  it('removeSingleMetric and clear forget metrics and free their names', () => {
    const registry = isolated();
    new Counter({ name: 'a_total', help: 'a', registers: [registry] });
    new Histogram({ name: 'h', help: 'h', registers: [registry] });
    registry.removeSingleMetric('h');
    registry.removeSingleMetric('never_registered');
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['a_total']);
    expect(() => new Gauge({ name: 'h_bucket', help: 'g', registers: [registry] })).not.toThrow();
    registry.clear();
    expect(registry.metrics()).toBe('');
    expect(() => new Counter({ name: 'a_total', help: 'a', registers: [registry] })).not.toThrow();
  });

  it('resetMetrics zeroes every metric and drops labelled series', () => {
    const registry = isolated();
    const c = new Counter({ name: 'c_total', help: 'c', registers: [registry] });
    const g = new Gauge({ name: 'g', help: 'g', labelNames: ['a'], registers: [registry] });
    const h = new Histogram({ name: 'h', help: 'h', buckets: [1], registers: [registry] });
    c.inc(2);
    g.set({ a: 'x' }, 3);
    h.observe(0.5);
    registry.resetMetrics();
    // As prom-client: a counter without labels reads 0; a histogram without labels has no series
    // until it is observed again.
    expect(registry.metrics()).toBe(
      '# HELP c_total c\n# TYPE c_total counter\nc_total 0\n# HELP g g\n# TYPE g gauge\n# HELP h h\n# TYPE h histogram\n',
    );
    h.observe(2);
    expect(registry.metrics()).toContain('h_bucket{le="1.0"} 0\nh_bucket{le="+Inf"} 1\nh_sum 2\nh_count 1\n');
    h.reset();
    h.zero({});
    expect(registry.metrics()).toContain('h_count 0\n');
  });
});

describe('collect callbacks', () => {
  it('run before each scrape; metrics() stays a string while every collect is synchronous', () => {
    const registry = isolated();
    let scrapes = 0;
    const g: Gauge = new Gauge({
      name: 'scrapes',
      help: 's',
      registers: [registry],
      collect: () => {
        scrapes += 1;
        g.set(scrapes);
      },
    });
    const first = registry.metrics();
    expect(typeof first).toBe('string');
    expect(first).toContain('scrapes 1\n');
    expect(registry.metrics()).toContain('scrapes 2\n');
  });

  it('may be async, and then metrics() returns a promise of the text', async () => {
    const registry = isolated();
    const g: Gauge = new Gauge({
      name: 'queue_depth',
      help: 'q',
      registers: [registry],
      collect: async () => {
        await new Promise((resolve) => setImmediate(resolve));
        g.set(7);
      },
    });
    new Counter({ name: 'sync_total', help: 's', registers: [registry] });
    const result = registry.metrics();
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toContain('queue_depth 7\n');
    const json = await registry.getMetricsAsJSON();
    expect(json.map((m) => m.name)).toEqual(['queue_depth', 'sync_total']);
    expect(json[0]?.values).toEqual([{ labels: {}, value: 7 }]);
  });

  it('a failing async collect rejects the scrape with its error', async () => {
    const registry = isolated();
    new Gauge({
      name: 'broken',
      help: 'b',
      registers: [registry],
      collect: () => Promise.reject(new Error('source down')),
    });
    await expect(registry.metrics()).rejects.toThrow('source down');
  });
});
