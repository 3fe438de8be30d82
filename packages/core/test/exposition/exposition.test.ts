import { promtoolCheckMetrics, toolAvailable } from '@mmstats/test-utils';
import { describe, expect, it } from 'vitest';
import { renderExposition } from '../../src/files.js';
import {
  Counter,
  type FamilySnapshot,
  Gauge,
  Histogram,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
  Registry,
} from '../../src/index.js';
import { formatBound } from '../../src/metrics/buckets.js';
import { parseOpenMetrics, parseText } from '../support/exposition-parser.js';
import { promtoolReadOpenMetrics } from '../support/promtool-openmetrics.js';

/** One of everything the exposition must get right: escaping, units, NaN/±Inf, buckets. */
function fixture(): Registry {
  const registry = new Registry({ storage: false });
  const registers = [registry];
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests served, by "route".\nA second line; a backslash: \\.',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  requests.inc({ method: 'GET', route: '/users/:id', status: '2XX' }, 3);
  requests.inc({ method: 'POST', route: 'a "quoted" \\ back\nslash', status: '5XX' });
  const sent = new Counter({
    name: 'network_sent_bytes_total',
    help: 'Bytes sent.',
    unit: 'bytes',
    registers,
  });
  sent.inc(1.5e9);
  const temperature = new Gauge({
    name: 'room_temperature_celsius',
    help: 'Room temperature.',
    unit: 'celsius',
    labelNames: ['room'],
    registers,
  });
  temperature.set({ room: 'kitchen' }, 21.5);
  temperature.set({ room: 'unknown' }, Number.NaN);
  temperature.set({ room: 'sun' }, Number.POSITIVE_INFINITY);
  temperature.set({ room: 'space' }, Number.NEGATIVE_INFINITY);
  temperature.set({ room: 'tiny' }, 1e-7);
  temperature.set({ room: 'huge' }, 1e21);
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request duration.',
    unit: 'seconds',
    labelNames: ['route'],
    buckets: [0.005, 0.1, 1, 1e6],
    registers,
  });
  for (const value of [0.001, 0.005, 0.05, 0.5, 5, 2e6]) duration.observe({ route: '/users/:id' }, value);
  const up = new Gauge({ name: 'app_up', help: 'Whether the app is up.', registers });
  up.set(1);
  return registry;
}

const render = (format: 'text' | 'openmetrics') => fixture().metrics(format) as string;

describe('exposition snapshots', () => {
  it('renders the text format 0.0.4', async () => {
    await expect(render('text')).toMatchFileSnapshot('./__snapshots__/fixture.prom');
  });

  it('renders OpenMetrics 1.0.0', async () => {
    await expect(render('openmetrics')).toMatchFileSnapshot('./__snapshots__/fixture.om');
  });
});

describe('the registry renders what renderExposition gives for its snapshots', () => {
  function withWideText(registry: Registry): Registry {
    const greetings = new Counter({
      name: 'greetings_total',
      help: 'Grüße, counted — by language.',
      labelNames: ['lang'],
      registers: [registry],
    });
    greetings.inc({ lang: 'ελληνικά' }, 2);
    greetings.inc({ lang: 'en' });
    new Histogram({
      name: 'wait_seconds',
      help: 'Wait.',
      labelNames: ['who'],
      registers: [registry],
    }).observe({ who: '名前' }, 0.2);
    return registry;
  }

  for (const format of ['text', 'openmetrics'] as const) {
    for (const [what, make] of [
      ['ASCII only', fixture],
      ['with non-ASCII help and label values', () => withWideText(fixture())],
    ] as const) {
      it(`${format}, ${what}`, () => {
        const registry = make();
        const expected = renderExposition(
          registry.getMetricsAsArray().map((m) => m.snapshot()),
          format,
        );
        expect(registry.metrics(format)).toBe(expected);
        if (what !== 'ASCII only') expect(expected).toContain('lang="ελληνικά"');
      });
    }
  }
});

describe('scrape after scrape', () => {
  it('renders exactly the current series when a scrape is smaller than the one before', () => {
    const registry = new Registry({ storage: false });
    const c = new Counter({
      name: 'c_total',
      help: 'c',
      labelNames: ['k'],
      registers: [registry],
      cardinalityLimit: 10_000,
    });
    for (let i = 0; i < 5000; i++) c.inc({ k: `value-${i}` });
    const big = registry.metrics() as string;
    c.reset();
    c.inc({ k: 'ünïcode' });
    const expected = renderExposition([c.snapshot()]);
    expect(registry.metrics()).toBe(expected);
    c.reset();
    c.inc({ k: 'a' });
    expect(registry.metrics()).toBe('# HELP c_total c\n# TYPE c_total counter\nc_total{k="a"} 1\n');
    expect(big.length).toBeGreaterThan(100_000);
  });
});

describe('exposition read back by the real Prometheus tools', () => {
  it('promtool check metrics accepts the text format', () => {
    if (!toolAvailable('promtool')) return;
    const result = promtoolCheckMetrics(render('text'));
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it("Prometheus' OpenMetrics parser reads back every value and label", () => {
    if (!toolAvailable('promtool')) return;
    const result = promtoolReadOpenMetrics(render('openmetrics'));
    expect(result.ok, result.output).toBe(true);
    const stored = (name: string, labels: Record<string, string> = {}) =>
      result.series.find((s) => JSON.stringify(s.labels) === JSON.stringify({ __name__: name, ...labels }))
        ?.value;
    expect(
      stored('http_requests_total', { method: 'POST', route: 'a "quoted" \\ back\nslash', status: '5XX' }),
    ).toBe(1);
    expect(stored('network_sent_bytes_total')).toBe(1.5e9);
    expect(stored('room_temperature_celsius', { room: 'unknown' })).toBeNaN();
    expect(stored('room_temperature_celsius', { room: 'sun' })).toBe(Number.POSITIVE_INFINITY);
    expect(stored('room_temperature_celsius', { room: 'space' })).toBe(Number.NEGATIVE_INFINITY);
    expect(stored('room_temperature_celsius', { room: 'tiny' })).toBe(1e-7);
    expect(stored('http_request_duration_seconds_bucket', { le: '1e+06', route: '/users/:id' })).toBe(5);
    expect(stored('http_request_duration_seconds_count', { route: '/users/:id' })).toBe(6);
    expect(result.series).toHaveLength(2 + 1 + 6 + 5 + 2 + 1);
  });

  it('the strict parsers read back what the registry holds, in both formats', () => {
    for (const families of [parseText(render('text')), parseOpenMetrics(render('openmetrics'))]) {
      const help = families.find((f) => f.name.startsWith('http_requests'))?.help;
      expect(help).toBe('Requests served, by "route".\nA second line; a backslash: \\.');
      const route = families.flatMap((f) => f.samples).find((s) => s.labels.method === 'POST')?.labels.route;
      expect(route).toBe('a "quoted" \\ back\nslash');
    }
  });
});

describe('OpenMetrics rules', () => {
  it('names counter families without _total, puts _total on the sample and writes # UNIT', () => {
    const text = render('openmetrics');
    expect(text).toContain(
      '# HELP network_sent_bytes Bytes sent.\n# TYPE network_sent_bytes counter\n# UNIT network_sent_bytes bytes\nnetwork_sent_bytes_total 1500000000\n',
    );
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(render('text')).not.toContain('# UNIT');
    expect(render('text')).not.toContain('# EOF');
  });

  it('adds _total to the sample of a counter whose name lacks it', () => {
    const registry = new Registry({ storage: false });
    new Counter({ name: 'jobs', help: 'Jobs.', registers: [registry] }).inc();
    expect(registry.metrics('text')).toBe('# HELP jobs Jobs.\n# TYPE jobs counter\njobs 1\n');
    expect(registry.metrics('openmetrics')).toBe(
      '# HELP jobs Jobs.\n# TYPE jobs counter\njobs_total 1\n# EOF\n',
    );
  });

  it('keeps a gauge named _total as it is (prom-client has such gauges)', () => {
    const registry = new Registry({ storage: false });
    new Gauge({ name: 'active_handles_total', help: 'Handles.', registers: [registry] }).set(2);
    const text = registry.metrics('openmetrics') as string;
    expect(text).toBe(
      '# HELP active_handles_total Handles.\n# TYPE active_handles_total gauge\nactive_handles_total 2\n# EOF\n',
    );
    expect(() => parseOpenMetrics(text)).not.toThrow();
  });

  it('escapes quotes in help only in OpenMetrics, where the grammar asks for it', () => {
    const registry = new Registry({ storage: false });
    new Gauge({ name: 'g', help: 'say "hi" \\ bye\nnext', registers: [registry] });
    expect(registry.metrics('text')).toContain('# HELP g say "hi" \\\\ bye\\nnext\n');
    expect(registry.metrics('openmetrics')).toContain('# HELP g say \\"hi\\" \\\\ bye\\nnext\n');
  });

  it('asks for a unit that ends the family name: a gauge keeps _total in its family name', () => {
    const registers: Registry[] = [];
    expect(
      () => new Counter({ name: 'cpu_seconds_total', help: 'x', unit: 'seconds', registers }),
    ).not.toThrow();
    expect(() => new Gauge({ name: 'cpu_seconds_total', help: 'x', unit: 'seconds', registers })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('"seconds"') }),
    );
    expect(() => new Gauge({ name: 'cpu_seconds', help: 'x', unit: 'bytes', registers })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
  });
});

describe('values and bounds', () => {
  it('spells NaN, +Inf, -Inf and -0 as Go parses them', () => {
    const snapshot: FamilySnapshot = {
      name: 'v',
      help: 'values',
      type: 'gauge',
      unit: '',
      samples: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0, 1e21, 1e-7].map(
        (value, i) => ({
          suffix: '',
          labels: `i="${i}"`,
          value,
        }),
      ),
    };
    const values = renderExposition([snapshot], 'text')
      .split('\n')
      .filter((line) => line.startsWith('v{'))
      .map((line) => line.split(' ')[1]);
    expect(values).toEqual(['NaN', '+Inf', '-Inf', '-0', '0', '1e+21', '1e-7']);
  });

  it('writes le in the canonical OpenMetrics form (Go %g, ".0" on integers)', () => {
    const cases: [number, string][] = [
      [0.005, '0.005'],
      [1, '1.0'],
      [10, '10.0'],
      [2.5, '2.5'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [100000, '100000.0'],
      [1e6, '1e+06'],
      [1.5e7, '1.5e+07'],
      [-1, '-1.0'],
      [0, '0.0'],
      [1e21, '1e+21'],
      [Number.POSITIVE_INFINITY, '+Inf'],
    ];
    for (const [bound, text] of cases) expect(formatBound(bound), String(bound)).toBe(text);
  });

  it('renders every bucket with its canonical le, cumulative, then _sum and _count', () => {
    const registry = new Registry({ storage: false });
    const h = new Histogram({ name: 'h', help: 'h', buckets: [1e-5, 1, 1e6], registers: [registry] });
    h.observe(0.5);
    h.observe(2e6);
    expect(registry.metrics()).toBe(
      '# HELP h h\n# TYPE h histogram\nh_bucket{le="1e-05"} 0\nh_bucket{le="1.0"} 1\nh_bucket{le="1e+06"} 1\nh_bucket{le="+Inf"} 2\nh_sum 2000000.5\nh_count 2\n',
    );
  });
});

describe('shape of the output', () => {
  it('is stable from scrape to scrape: families by registration, series by creation', () => {
    const registry = new Registry({ storage: false });
    const b = new Counter({ name: 'b_total', help: 'b', labelNames: ['k'], registers: [registry] });
    const a = new Counter({ name: 'a_total', help: 'a', registers: [registry] });
    for (const k of ['z', 'a', 'm']) b.inc({ k });
    a.inc();
    const first = registry.metrics();
    expect(registry.metrics()).toBe(first);
    expect(first).toBe(
      '# HELP b_total b\n# TYPE b_total counter\nb_total{k="z"} 1\nb_total{k="a"} 1\nb_total{k="m"} 1\n# HELP a_total a\n# TYPE a_total counter\na_total 1\n',
    );
    b.remove({ k: 'z' });
    b.inc({ k: 'z' });
    expect(registry.metrics()).toContain('b_total{k="a"} 1\nb_total{k="m"} 1\nb_total{k="z"} 1\n');
  });

  it('writes HELP and TYPE for a labelled metric without series, and nothing for an empty registry', () => {
    const registry = new Registry({ storage: false });
    expect(registry.metrics('text')).toBe('');
    expect(registry.metrics('openmetrics')).toBe('# EOF\n');
    new Gauge({ name: 'g', help: 'g', labelNames: ['x'], registers: [registry] });
    expect(registry.metrics('text')).toBe('# HELP g g\n# TYPE g gauge\n');
  });

  it('offers both content types, versioned, and switches like prom-client', () => {
    const registry = fixture();
    expect(registry.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    registry.setContentType(OPENMETRICS_CONTENT_TYPE);
    expect(registry.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect((registry.metrics() as string).endsWith('# EOF\n')).toBe(true);
    registry.setContentType(PROMETHEUS_CONTENT_TYPE);
    expect(registry.metrics()).toBe(render('text'));
    expect(() => registry.setContentType('application/json')).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('"application/json"'),
      }),
    );
  });
});
