import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as prom from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { AggregatorRegistry, aggregators, Counter, Gauge, Histogram, Registry } from '../../src/index.js';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const coreEntry = join(here, '..', '..', 'dist', 'index.cjs');

/** The getMetricsAsJSON() of one process, built with the given library. */
async function processJson(lib: 'ours' | 'theirs', worker: number) {
  if (lib === 'ours') {
    const registry = new Registry({ storage: false });
    new Counter({ name: 'c_total', help: 'c', labelNames: ['r'], registers: [registry] }).inc(
      { r: 'a' },
      worker,
    );
    new Gauge({ name: 'version_info', help: 'v', aggregator: 'first', registers: [registry] }).set(worker);
    new Gauge({ name: 'lag', help: 'l', aggregator: 'average', registers: [registry] }).set(worker * 2);
    new Gauge({ name: 'start', help: 's', aggregator: 'omit', registers: [registry] }).set(worker);
    new Histogram({ name: 'h', help: 'h', buckets: [1], registers: [registry] }).observe(worker);
    return registry.getMetricsAsJSON();
  }
  const registry = new prom.Registry();
  new prom.Counter({ name: 'c_total', help: 'c', labelNames: ['r'], registers: [registry] }).inc(
    { r: 'a' },
    worker,
  );
  new prom.Gauge({ name: 'version_info', help: 'v', aggregator: 'first', registers: [registry] }).set(worker);
  new prom.Gauge({ name: 'lag', help: 'l', aggregator: 'average', registers: [registry] }).set(worker * 2);
  new prom.Gauge({ name: 'start', help: 's', aggregator: 'omit', registers: [registry] }).set(worker);
  new prom.Histogram({ name: 'h', help: 'h', buckets: [1], registers: [registry] }).observe(worker);
  return registry.getMetricsAsJSON();
}

describe('AggregatorRegistry.aggregate and aggregators, as prom-client', () => {
  it('combines getMetricsAsJSON() of several processes per metric aggregator into the same exposition', async () => {
    const ours = AggregatorRegistry.aggregate([
      (await processJson('ours', 1)) as never,
      (await processJson('ours', 2)) as never,
    ]);
    const theirs = prom.AggregatorRegistry.aggregate([
      await processJson('theirs', 1),
      await processJson('theirs', 2),
    ] as never);
    const text = await ours.metrics();
    expect(text).toContain('c_total{r="a"} 3\n');
    expect(text).toContain('version_info 1\n');
    expect(text).toContain('lag 3\n');
    expect(text).not.toContain('start');
    expect(text).toContain('h_bucket{le="1.0"} 1\n');
    // prom-client separates families with a blank line and writes le="1": the listed differences.
    const normalise = (s: string) => s.replace(/\n\n/g, '\n').replace(/le="1\.0"/g, 'le="1"');
    expect(normalise(text)).toBe(normalise(await theirs.metrics()));
  });

  it('exposes the same aggregators, and refuses an unknown one by name', () => {
    expect(Object.keys(aggregators).sort()).toEqual(
      Object.keys((prom as unknown as { aggregators: object }).aggregators).sort(),
    );
    const json = [
      {
        name: 'x',
        help: 'x',
        type: 'gauge' as const,
        values: [{ value: 4, labels: {} }],
        aggregator: 'median',
      },
    ];
    expect(() => AggregatorRegistry.aggregate([json])).toThrow(/'median' is not a defined aggregator/);
    expect(aggregators.max([json[0]!, { ...json[0]!, values: [{ value: 9, labels: {} }] }])?.values).toEqual([
      { value: 9, labels: {} },
    ]);
  });

  it('takes prom-client’s content type argument', () => {
    const registry = new AggregatorRegistry(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(() => AggregatorRegistry.setRegistries([registry])).not.toThrow();
    expect(() => AggregatorRegistry.setRegistries([42 as never])).toThrow(/expects registries/);
  });
});

describe.skipIf(!existsSync(coreEntry))('AggregatorRegistry.clusterMetrics() in a real cluster', () => {
  const directory = mkdtempSync(join(tmpdir(), 'mmstats-aggregator-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('serves the workers’ totals from their files, in the primary and in a worker, without IPC', async () => {
    const { stdout } = await run(process.execPath, [join(here, 'support', 'cluster-app.cjs')], {
      env: { ...process.env, CORE_ENTRY: coreEntry, MMSTATS_PATH: directory },
      timeout: 30_000,
    });
    const { primary, worker } = JSON.parse(stdout) as { primary: string; worker: string };
    for (const text of [primary, worker]) {
      expect(text).toContain('requests_total{route="/a"} 30\n');
      expect(text).toMatch(/worker_id\{pid="\d+"\} 1\n/);
      expect(text).toMatch(/worker_id\{pid="\d+"\} 2\n/);
    }
  }, 40_000);
});
