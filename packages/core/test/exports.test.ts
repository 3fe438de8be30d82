import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as source from '../src/index.js';

/**
 * The public surface of @mmstats/core, pinned. Adding an export is a decision: add it here in
 * the same change. The built files are checked, ESM and CommonJS, as users load them.
 */
const EXPORTS = [
  'CLIENT_CLOSED_REQUEST',
  'Counter',
  'CounterChild',
  'DEFAULT_BUCKETS',
  'DEFAULT_SIZE_BUCKETS',
  'DEFAULT_UNMATCHED_ROUTE',
  'Gauge',
  'GaugeChild',
  'Histogram',
  'HistogramChild',
  'HttpMetrics',
  'Metric',
  'MetricsError',
  'OPENMETRICS_CONTENT_TYPE',
  'PROMETHEUS_CONTENT_TYPE',
  'Pushgateway',
  'Registry',
  'clusterMetrics',
  'collectDefaultMetrics',
  'contentTypeOf',
  'createMetricsEndpoint',
  'createMmStats',
  'defaultRegistry',
  'exponentialBuckets',
  'field',
  'filesToFamilies',
  'instrumentHttp',
  'isMetricsError',
  'linearBuckets',
  'negotiate',
  'readMmstatsDirectory',
  'readMmstatsFile',
  'register',
  'renderExposition',
  'renderMmstatsFiles',
  'resolveHttpOptions',
  'startMetricsServer',
];

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const built = (file: string) => {
  const path = join(dist, file);
  expect(existsSync(path), `${path} is missing: build core first (cd packages/core && npx tsup)`).toBe(true);
  return path;
};
type Core = typeof source;
const loadEsm = async () => (await import(pathToFileURL(built('index.js')).href)) as Core;
const loadCjs = () => createRequire(import.meta.url)(built('index.cjs')) as Core;

describe('export surface of @mmstats/core', () => {
  it('the source exports exactly the pinned names', () => {
    expect(Object.keys(source).sort()).toEqual(EXPORTS);
  });

  it('the ESM build exports the same names (a mismatch means dist is stale: rebuild it)', async () => {
    expect(Object.keys(await loadEsm()).sort()).toEqual(EXPORTS);
  });

  it('the CommonJS build exports the same names', () => {
    expect(Object.keys(loadCjs()).sort()).toEqual(EXPORTS);
  });

  it('both builds work: a counter renders, defaults collect, negotiation answers', async () => {
    for (const core of [await loadEsm(), loadCjs()]) {
      const registry = new core.Registry({ storage: false });
      new core.Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc();
      core.collectDefaultMetrics({ register: registry });
      expect(registry.metrics()).toContain('x_total 1\n');
      expect(registry.metrics()).toContain('process_cpu_seconds_total');
      expect(core.negotiate('application/openmetrics-text').format).toBe('openmetrics');
    }
  });

  it('two copies of core work together: a metric of one registers with the other, errors are recognised', async () => {
    const esm = await loadEsm();
    const cjs = loadCjs();
    expect(esm.Registry).not.toBe(cjs.Registry);
    const registry = new esm.Registry({ storage: false });
    new cjs.Gauge({ name: 'from_cjs', help: 'g', registers: [registry] }).set(4);
    expect(registry.metrics()).toContain('from_cjs 4\n');
    try {
      new cjs.Gauge({ name: 'from_cjs', help: 'again', registers: [registry] });
      expect.unreachable('a clash must throw');
    } catch (error) {
      expect(esm.isMetricsError(error)).toBe(true);
      expect(cjs.isMetricsError(error)).toBe(true);
    }
  });
});
