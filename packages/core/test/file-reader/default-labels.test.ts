import { afterEach, describe, expect, it } from 'vitest';
import { renderMmstatsFiles } from '../../src/files.js';
import { Counter, clusterMetrics, Gauge, Histogram, Registry } from '../../src/index.js';
import { tempDirectories } from '../storage/support/warnings.js';

/**
 * `setDefaultLabels` in a cluster: prom-client's AggregatorRegistry gets each worker's default
 * labels with its values, so the cluster view and the file readers must label series the same.
 */
const dirs = tempDirectories();
const registries: Registry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  dirs.cleanup();
});

/** A registry as one worker of the app would have it, writing to `directory`. */
function worker(directory: string, defaults: Record<string, string>, backend: 'mmap' | 'fallback') {
  const registry = new Registry({ storage: { directory, backend, app: 'shop', removeOnExit: false } });
  registries.push(registry);
  registry.setDefaultLabels(defaults);
  const jobs = new Counter({ name: 'jobs_total', help: 'j', labelNames: ['queue'], registers: [registry] });
  const took = new Histogram({ name: 'job_seconds', help: 't', buckets: [1], registers: [registry] });
  const depth = new Gauge({ name: 'queue_depth', help: 'd', registers: [registry] });
  return { registry, jobs, took, depth };
}

const lines = (text: string, name: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .sort();

describe('default labels across processes', () => {
  it.each(['mmap', 'fallback'] as const)(
    'the cluster view and the file reader add each file its own default labels (%s)',
    async (backend) => {
      const directory = dirs.make();
      const a = worker(directory, { service: 'shop', instance: '0' }, backend);
      const b = worker(directory, { service: 'shop', instance: '1' }, backend);
      a.jobs.inc({ queue: 'mail' }, 2);
      b.jobs.inc({ queue: 'mail' }, 3);
      // A series' own label wins over a default label of that name.
      b.jobs.inc({ queue: 'instance' }, 1);
      a.took.observe(0.5);
      b.took.observe(2);
      a.depth.set(4);
      for (const { registry } of [a, b]) registry.sync();

      const cluster = await clusterMetrics(a.registry).metrics();
      expect(lines(cluster, 'jobs_total')).toEqual([
        'jobs_total{queue="instance",service="shop",instance="1"} 1',
        'jobs_total{queue="mail",service="shop",instance="0"} 2',
        'jobs_total{queue="mail",service="shop",instance="1"} 3',
      ]);
      expect(lines(cluster, 'job_seconds_count')).toEqual([
        'job_seconds_count{service="shop",instance="0"} 1',
        'job_seconds_count{service="shop",instance="1"} 1',
      ]);
      expect(cluster).toMatch(/^queue_depth\{service="shop",instance="0",pid="\d+"\} 4$/m);
      // Either worker's view is the same, and so is a reader of the files alone.
      expect(lines(await clusterMetrics(b.registry).metrics(), 'jobs_total')).toEqual(
        lines(cluster, 'jobs_total'),
      );
      expect(lines(renderMmstatsFiles(directory), 'jobs_total')).toEqual(lines(cluster, 'jobs_total'));
    },
  );

  it('sums the workers that share their default labels, and follows a change of them', async () => {
    const directory = dirs.make();
    const a = worker(directory, { service: 'shop' }, 'mmap');
    const b = worker(directory, { service: 'shop' }, 'mmap');
    a.jobs.inc({ queue: 'mail' }, 2);
    b.jobs.inc({ queue: 'mail' }, 3);
    expect(lines(await clusterMetrics(a.registry).metrics(), 'jobs_total')).toEqual([
      'jobs_total{queue="mail",service="shop"} 5',
    ]);
    b.registry.setDefaultLabels({ service: 'shop', region: 'eu' });
    expect(lines(await clusterMetrics(a.registry).metrics(), 'jobs_total')).toEqual([
      'jobs_total{queue="mail",service="shop",region="eu"} 3',
      'jobs_total{queue="mail",service="shop"} 2',
    ]);
    b.registry.setDefaultLabels({});
    expect(lines(await clusterMetrics(a.registry).metrics(), 'jobs_total')).toEqual([
      'jobs_total{queue="mail",service="shop"} 2',
      'jobs_total{queue="mail"} 3',
    ]);
  });
});
