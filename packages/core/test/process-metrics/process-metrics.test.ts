import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { promtoolCheckMetrics, toolAvailable } from '@mmstats/test-utils';
import promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Counter, collectDefaultMetrics, type Histogram, isMetricsError, Registry } from '../../src/index.js';
import { parseOpenMetrics, parseText } from '../support/exposition-parser.js';
import { promtoolReadOpenMetrics } from '../support/promtool-openmetrics.js';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'index.js');

function withDefaults(options: Parameters<typeof collectDefaultMetrics>[0] = {}): Registry {
  const registry = new Registry({ storage: false });
  collectDefaultMetrics({ ...options, register: registry });
  return registry;
}

function scrape(registry: Registry): Map<string, { labels: Record<string, string>; value: number }[]> {
  const text = registry.metrics();
  expect(typeof text).toBe('string');
  const byName = new Map<string, { labels: Record<string, string>; value: number }[]>();
  for (const family of parseText(text as string))
    for (const s of family.samples) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  return byName;
}

const value = (samples: Map<string, { value: number }[]>, name: string) => samples.get(name)?.[0]?.value;

describe('collectDefaultMetrics', () => {
  it('registers every metric prom-client 15 does, with the same type and labels, so dashboards keep working', async () => {
    const theirs = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: theirs });
    const registry = withDefaults();
    for (const metric of await theirs.getMetricsAsJSON()) {
      const ours = registry.getSingleMetric(metric.name);
      expect(ours, metric.name).toBeDefined();
      expect(ours?.type, metric.name).toBe(metric.type);
      const labelNames = (theirs.getSingleMetric(metric.name) as unknown as { labelNames: string[] })
        .labelNames;
      expect(ours?.labelNames, metric.name).toEqual(labelNames);
    }
    expect(registry.getSingleMetric('nodejs_eventloop_utilization_ratio')?.type).toBe('gauge');
    theirs.clear();
  });

  it('reads plausible values at scrape time', async () => {
    const registry = withDefaults();
    let busy = 0;
    for (let i = 0; i < 200_000; i++) busy += Math.sqrt(i);
    expect(busy).toBeGreaterThan(0);
    scrape(registry);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const samples = scrape(registry);
    const user = value(samples, 'process_cpu_user_seconds_total')!;
    const system = value(samples, 'process_cpu_system_seconds_total')!;
    expect(user).toBeGreaterThan(0);
    expect(value(samples, 'process_cpu_seconds_total')).toBeCloseTo(user + system, 9);
    const start = value(samples, 'process_start_time_seconds')!;
    expect(start).toBeLessThanOrEqual(Date.now() / 1000);
    expect(start).toBeGreaterThan(Date.now() / 1000 - process.uptime() - 5);
    expect(value(samples, 'process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(value(samples, 'nodejs_heap_size_used_bytes')).toBeLessThanOrEqual(
      value(samples, 'nodejs_heap_size_total_bytes')!,
    );
    expect(samples.get('nodejs_heap_space_size_used_bytes')?.map((s) => s.labels.space)).toContain('old');
    const [major, minor, patch] = process.versions.node.split('.');
    expect(samples.get('nodejs_version_info')).toEqual([
      { name: 'nodejs_version_info', labels: { version: process.version, major, minor, patch }, value: 1 },
    ]);
    const handles = samples.get('nodejs_active_handles') ?? [];
    expect(handles.reduce((sum, s) => sum + s.value, 0)).toBe(value(samples, 'nodejs_active_handles_total'));
    expect(value(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThan(0);
    expect(value(samples, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    expect(value(samples, 'nodejs_eventloop_lag_min_seconds')).toBeLessThanOrEqual(
      value(samples, 'nodejs_eventloop_lag_max_seconds')!,
    );
    const utilization = value(samples, 'nodejs_eventloop_utilization_ratio')!;
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
    if (process.platform === 'linux') {
      expect(value(samples, 'process_open_fds')).toBeGreaterThan(2);
      expect(value(samples, 'process_virtual_memory_bytes')).toBeGreaterThan(
        value(samples, 'process_resident_memory_bytes')!,
      );
    }
  });

  it('observes GC pauses by kind', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const registry = withDefaults({ gcDurationBuckets: [0.5, 5] });
    gc();
    const histogram = registry.getSingleMetric('nodejs_gc_duration_seconds') as Histogram;
    // Entries reach the observer asynchronously; wait a bounded number of turns for them.
    const majorCount = async () =>
      (await histogram.get()).values.find(
        (v) => v.metricName === 'nodejs_gc_duration_seconds_count' && v.labels.kind === 'major',
      )?.value;
    for (let i = 0; i < 100 && (await majorCount()) === undefined; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(await majorCount()).toBeGreaterThanOrEqual(1);
    const kinds = (await histogram.get()).values.map((v) => v.labels.kind);
    expect(kinds.every((kind) => ['major', 'minor', 'incremental', 'weakcb'].includes(kind as string))).toBe(
      true,
    );
    expect(registry.metrics()).toContain('nodejs_gc_duration_seconds_bucket{kind="major",le="0.5"}');
  });

  it('adds the prefix to every name and the constant labels to every series', () => {
    const registry = withDefaults({ prefix: 'my_app_', labels: { app: 'checkout', zone: 'eu' } });
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names.every((n) => n.startsWith('my_app_'))).toBe(true);
    expect(names).toContain('my_app_process_cpu_seconds_total');
    const samples = [...scrape(registry).values()].flat();
    expect(samples.length).toBeGreaterThan(30);
    for (const s of samples) expect(s.labels).toMatchObject({ app: 'checkout', zone: 'eu' });
    expect(registry.getSingleMetric('my_app_nodejs_version_info')?.labelNames).toEqual([
      'version',
      'major',
      'minor',
      'patch',
      'app',
      'zone',
    ]);
  });

  it('does nothing on a second call with the same options, restores what removeSingleMetric took away, and starts afresh after clear()', () => {
    const registry = withDefaults();
    const first = registry.getMetricsAsArray();
    expect(() => collectDefaultMetrics({ register: registry })).not.toThrow();
    expect(registry.getMetricsAsArray()).toEqual(first);
    registry.removeSingleMetric('process_heap_bytes');
    collectDefaultMetrics({ register: registry });
    expect(new Set(registry.getMetricsAsArray())).toEqual(new Set(first));
    // As prom-client: once clear() took them all, a call registers new metrics with its own options.
    registry.clear();
    collectDefaultMetrics({ register: registry, labels: { app: 'x' } });
    const again = registry.getMetricsAsArray();
    expect(again.map((m) => m.name)).toEqual(first.map((m) => m.name));
    expect(again.some((m) => first.includes(m))).toBe(false);
    expect(again[0]?.labelNames).toContain('app');
    expect(typeof withDefaults().metrics()).toBe('string');
  });

  it('fails as a whole, naming the clash, when a name is taken, and registers nothing', () => {
    const registry = new Registry({ storage: false });
    new Counter({ name: 'nodejs_heap_size_total_bytes', help: 'mine', registers: [registry] });
    let caught: unknown;
    try {
      collectDefaultMetrics({ register: registry });
    } catch (error) {
      caught = error;
    }
    expect(isMetricsError(caught) && caught.code).toBe('DUPLICATE_METRIC');
    expect((caught as Error).message).toContain('"nodejs_heap_size_total_bytes"');
    expect(registry.getMetricsAsArray().map((m) => m.help)).toEqual(['mine']);
  });

  it('refuses bad options, naming them', () => {
    const register = new Registry({ storage: false });
    const refuses = (options: object, named: string) => {
      expect(() => collectDefaultMetrics({ register, ...options })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining(named) }),
      );
    };
    refuses({ eventLoopMonitoringPrecision: 0 }, 'eventLoopMonitoringPrecision is 0');
    refuses({ eventLoopMonitoringPrecision: 2.5 }, '2.5');
    refuses({ labels: { app: 3 } }, 'label "app" is 3');
    refuses({ register: {} }, 'register');
    expect(() => collectDefaultMetrics({ register, labels: { type: 'x' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_LABEL_NAME', message: expect.stringContaining('"type"') }),
    );
    expect(register.getMetricsAsArray()).toEqual([]);
  });
});

describe('default metrics exposition', () => {
  it('passes promtool, whose only findings are the _total gauges prom-client named', () => {
    if (!toolAvailable('promtool')) return;
    const result = promtoolCheckMetrics(withDefaults().metrics() as string);
    const findings = result.output.split('\n').filter((line) => line !== '');
    expect(findings.sort()).toEqual(
      ['handles', 'requests', 'resources'].map(
        (what) => `nodejs_active_${what}_total non-counter metrics should not have "_total" suffix`,
      ),
    );
  });

  it("is valid OpenMetrics for the strict parser and for Prometheus' own", () => {
    const text = withDefaults({ labels: { app: 'a "b"\n' } }).metrics('openmetrics') as string;
    const families = parseOpenMetrics(text);
    expect(families.find((f) => f.name === 'process_cpu_seconds')).toMatchObject({
      type: 'counter',
      unit: 'seconds',
    });
    if (!toolAvailable('promtool')) return;
    const read = promtoolReadOpenMetrics(text);
    expect(read.ok, read.output).toBe(true);
    expect(read.series.find((s) => s.labels.__name__ === 'process_cpu_seconds_total')?.labels.app).toBe(
      'a "b"\n',
    );
  });
});

describe('process lifetime', () => {
  it('lets a dropped registry be garbage collected, observers and all', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ref = (() => new WeakRef(withDefaults()))();
    // WeakRef targets live until the current job ends; collect on later turns, a bounded number of times.
    for (let i = 0; i < 20 && ref.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      gc();
    }
    expect(ref.deref()).toBeUndefined();
  });

  it('never keeps the process alive: a script that collects and scrapes exits on its own', async () => {
    expect(existsSync(DIST), `build core first: (cd packages/core && npx tsup); ${DIST} is missing`).toBe(
      true,
    );
    const script = `
      const { collectDefaultMetrics, Registry } = await import(${JSON.stringify(pathToFileURL(DIST).href)});
      if (typeof collectDefaultMetrics !== 'function') throw new Error('dist is stale: rebuild core with npx tsup');
      const register = new Registry({ storage: false });
      collectDefaultMetrics({ register });
      register.metrics();
      console.log('scraped');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    // A generous bound: the script needs well under a second; a kept-alive process never exits.
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(killer);
    expect(output.trim()).toBe('scraped');
    expect(code).toBe(0);
  });
});
