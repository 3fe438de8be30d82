import { createRequire } from 'node:module';
import promClient from 'prom-client';
import { describe, expect, it } from 'vitest';
import { collectDefaultMetrics, defaultMetrics, Registry } from '../../src/index.js';

const require = createRequire(import.meta.url);
type PromModule = (registry: promClient.Registry, config?: object) => void;

async function json(registry: {
  getMetricsAsJSON(): Promise<{ name: string; help: string; aggregator?: string }[]>;
}) {
  return (await registry.getMetricsAsJSON()).map(({ name, help, aggregator }) => ({
    name,
    help,
    aggregator,
  }));
}

describe('default metrics, module by module, as prom-client', () => {
  it('lists prom-client’s module names in its order (collectDefaultMetrics.metricsList)', () => {
    expect(collectDefaultMetrics.metricsList).toEqual(promClient.collectDefaultMetrics.metricsList);
    expect(Object.keys(defaultMetrics)).toEqual(promClient.collectDefaultMetrics.metricsList);
  });

  it.each(promClient.collectDefaultMetrics.metricsList)(
    '%s registers the metrics of prom-client’s module, with its help text and aggregator',
    async (name) => {
      const ours = new Registry({ storage: false });
      defaultMetrics[name as keyof typeof defaultMetrics](ours, { prefix: 'm_' });
      const theirs = new promClient.Registry();
      (require(`prom-client/lib/metrics/${name}`) as PromModule)(theirs, { prefix: 'm_' });
      const ourJson = (await json(ours)).filter((m) => m.name !== 'm_nodejs_eventloop_utilization_ratio');
      expect(ourJson).toEqual(await json(theirs));
    },
  );

  it('collectDefaultMetrics registers the union, the same help texts as prom-client', async () => {
    const ours = new Registry({ storage: false });
    collectDefaultMetrics({ register: ours });
    const theirs = new promClient.Registry();
    promClient.collectDefaultMetrics({ register: theirs });
    const ourJson = (await json(ours)).filter((m) => m.name !== 'nodejs_eventloop_utilization_ratio');
    const byName = (list: { name: string }[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(ourJson)).toEqual(byName(await json(theirs)));
  });

  it('a module called twice on a registry does nothing the second time', () => {
    const registry = new Registry({ storage: false });
    defaultMetrics.version(registry);
    defaultMetrics.version(registry);
    expect(registry.getMetricsAsArray().map((m) => m.name)).toEqual(['nodejs_version_info']);
  });
});
