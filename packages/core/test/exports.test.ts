import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as fields from '../src/fields.js';
import * as files from '../src/files.js';
import * as http from '../src/http.js';
import * as source from '../src/index.js';

/**
 * The public surface of @mmstats/core, pinned per entry point. Adding an export is a decision: add
 * it here in the same change. The built files are checked, ESM and CommonJS, as users load them.
 */
const EXPORTS = {
  index: [
    // prom-client's names (issue 16): AggregatorFactory, AggregatorRegistry, Summary, aggregators,
    // defaultMetrics (its per-metric modules), openMetricsContentType, prometheusContentType,
    // validateMetricName.
    'AggregatorFactory',
    'AggregatorRegistry',
    'Counter',
    'DEFAULT_BUCKETS',
    'Gauge',
    'Histogram',
    'MetricsError',
    'OPENMETRICS_CONTENT_TYPE',
    'PROMETHEUS_CONTENT_TYPE',
    'Pushgateway',
    'Registry',
    'Summary',
    'aggregators',
    'clusterMetrics',
    'collectDefaultMetrics',
    'defaultMetrics',
    'defaultRegistry',
    'exponentialBuckets',
    'isMetricsError',
    'linearBuckets',
    'openMetricsContentType',
    'prometheusContentType',
    'register',
    'validateMetricName',
  ],
  http: [
    'CLIENT_CLOSED_REQUEST',
    'DEFAULT_SIZE_BUCKETS',
    'DEFAULT_UNMATCHED_ROUTE',
    'HttpMetrics',
    'contentTypeOf',
    'createMetricsEndpoint',
    'instrumentHttp',
    'negotiate',
    'resolveHttpOptions',
    'startMetricsServer',
  ],
  files: [
    'appFamilies',
    'filesToFamilies',
    'foldIntoArchive',
    'listApps',
    'readMmstatsDirectory',
    'readMmstatsFile',
    'renderExposition',
    'renderMmstatsFiles',
  ],
  fields: ['createMmStats', 'field'],
} as const;
type Entry = keyof typeof EXPORTS;
const ENTRIES = Object.keys(EXPORTS) as Entry[];
const SOURCES: Record<Entry, object> = { index: source, http, files, fields };

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const built = (file: string) => {
  const path = join(dist, file);
  expect(existsSync(path), `${path} is missing: build core first (cd packages/core && npx tsup)`).toBe(true);
  return path;
};
type Core = typeof source;
type Http = typeof http;
const loadEsm = async () => (await import(pathToFileURL(built('index.js')).href)) as Core;
const loadCjs = () => createRequire(import.meta.url)(built('index.cjs')) as Core;
const loadEntry = async (entry: Entry, format: 'esm' | 'cjs') =>
  format === 'esm'
    ? ((await import(pathToFileURL(built(`${entry}.js`)).href)) as object)
    : (createRequire(import.meta.url)(built(`${entry}.cjs`)) as object);

describe('export surface of @mmstats/core', () => {
  it.each(ENTRIES)('the source of the %s entry exports exactly the pinned names', (entry) => {
    expect(Object.keys(SOURCES[entry]).sort()).toEqual(EXPORTS[entry]);
  });

  it.each(ENTRIES)(
    'the ESM build of %s exports the same names (a mismatch means dist is stale: rebuild it)',
    async (entry) => {
      expect(Object.keys(await loadEntry(entry, 'esm')).sort()).toEqual(EXPORTS[entry]);
    },
  );

  it.each(ENTRIES)('the CommonJS build of %s exports the same names', async (entry) => {
    expect(Object.keys(await loadEntry(entry, 'cjs')).sort()).toEqual(EXPORTS[entry]);
  });

  it('package.json maps every entry point, and nothing else, for import and require', () => {
    const manifest = createRequire(import.meta.url)('../package.json') as {
      exports: Record<string, unknown>;
    };
    expect(Object.keys(manifest.exports).sort()).toEqual([
      '.',
      './fields',
      './files',
      './http',
      './package.json',
    ]);
  });

  it.each(['esm', 'cjs'] as const)(
    "in %s, the http entry records into the main entry's default registry",
    async (format) => {
      const core = (await loadEntry('index', format)) as Core;
      const httpEntry = (await loadEntry('http', format)) as Http;
      const instrumentation = httpEntry.instrumentHttp({ processMetrics: false }, '@mmstats/test');
      expect(instrumentation.registry).toBe(core.register);
      expect(instrumentation.registry).toBe(core.defaultRegistry());
    },
  );

  it('both builds work: a counter renders, defaults collect, negotiation answers', async () => {
    for (const core of [await loadEsm(), loadCjs()]) {
      const registry = new core.Registry({ storage: false });
      new core.Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc();
      core.collectDefaultMetrics({ register: registry });
      expect(registry.metrics()).toContain('x_total 1\n');
      expect(registry.metrics()).toContain('process_cpu_seconds_total');
    }
    for (const format of ['esm', 'cjs'] as const) {
      const httpEntry = (await loadEntry('http', format)) as Http;
      expect(httpEntry.negotiate('application/openmetrics-text').format).toBe('openmetrics');
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
