import { afterEach, describe, expect, it } from 'vitest';
import { renderMmstatsFiles } from '../../src/files.js';
import { clusterMetrics, collectDefaultMetrics, Gauge, Registry } from '../../src/index.js';
import { tempDirectories } from '../storage/support/warnings.js';

/**
 * prom-client's `aggregator` on a gauge says how a cluster combines it; the cluster view follows it
 * (one series for all running processes), and keeps one series per process without one.
 */
const dirs = tempDirectories();
const registries: Registry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  dirs.cleanup();
});

const AGGREGATORS = ['sum', 'first', 'min', 'max', 'average', 'omit'] as const;

/** One worker of the app: a gauge per aggregator, one without, each set to `value`. */
function worker(directory: string, value: number) {
  const registry = new Registry({ storage: { directory, app: 'shop', removeOnExit: false } });
  registries.push(registry);
  for (const aggregator of AGGREGATORS) {
    const gauge = new Gauge({
      name: `pool_${aggregator}`,
      help: aggregator,
      labelNames: ['pool'],
      aggregator,
      registers: [registry],
    });
    gauge.set({ pool: 'db' }, value);
  }
  new Gauge({ name: 'pool_plain', help: 'p', registers: [registry] }).set(value);
  return registry;
}

const samples = (text: string, name: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .sort();

describe('gauge aggregators across processes', () => {
  it('combines each gauge as its aggregator says, in the cluster view and in the file reader', async () => {
    const directory = dirs.make();
    const first = worker(directory, 2);
    worker(directory, 10);
    worker(directory, 6);
    const cluster = await clusterMetrics(first).metrics();
    expect(samples(cluster, 'pool_sum')).toEqual(['pool_sum{pool="db"} 18']);
    expect(samples(cluster, 'pool_min')).toEqual(['pool_min{pool="db"} 2']);
    expect(samples(cluster, 'pool_max')).toEqual(['pool_max{pool="db"} 10']);
    expect(samples(cluster, 'pool_average')).toEqual(['pool_average{pool="db"} 6']);
    // `first`: this process's value, which the view takes first.
    expect(samples(cluster, 'pool_first')).toEqual(['pool_first{pool="db"} 2']);
    expect(cluster).not.toContain('pool_omit');
    // Without an aggregator: one series per process, by PID; these three "processes" share this
    // test's PID, so the first keeps the series (the lifecycle tests run real processes).
    expect(samples(cluster, 'pool_plain')).toEqual([`pool_plain{pid="${process.pid}"} 2`]);
    const files = renderMmstatsFiles(directory);
    for (const name of ['pool_sum', 'pool_min', 'pool_max', 'pool_average'])
      expect(samples(files, name)).toEqual(samples(cluster, name));
    expect(files).not.toContain('pool_omit');
  });

  it('keeps the process metrics per process, whatever their prom-client aggregator', async () => {
    const directory = dirs.make();
    const registry = new Registry({ storage: { directory, app: 'shop', removeOnExit: false } });
    registries.push(registry);
    collectDefaultMetrics({ register: registry });
    const cluster = await clusterMetrics(registry).metrics();
    // prom-client's aggregators are `omit` and `average` for these: they stay per process here.
    expect(cluster).toMatch(/^process_start_time_seconds\{pid="\d+"\} /m);
    expect(cluster).toMatch(/^nodejs_eventloop_lag_seconds\{pid="\d+"\} /m);
    const json = await registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'process_start_time_seconds')?.aggregator).toBe('omit');
  });
});
