import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promtoolCheckMetrics, toolAvailable } from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { filesToFamilies, renderMmstatsFiles } from '../../src/file-reader/aggregate.js';
import { type MmstatsFile, readMmstatsSource } from '../../src/file-reader/reader.js';
import { renderExposition } from '../../src/files.js';
import { Counter, Gauge, Histogram } from '../../src/index.js';
import { buffered, image, processImage, unbuffered } from '../support/mmstats-images.js';

/** One worker of a web app: the same metric definitions in every process, its own values. */
function worker(pid: number, record: (m: ReturnType<typeof define>) => void): Uint8Array {
  const proc = processImage({ pid });
  const metrics = define(proc.registers);
  record(metrics);
  return proc.store.bytes();
}

function define(registers: ReturnType<typeof processImage>['registers']) {
  return {
    requests: new Counter({
      name: 'http_requests_total',
      prefix: 'web.stats.',
      help: 'Requests',
      labelNames: ['method', 'status'],
      registers,
    }),
    inFlight: new Gauge({ name: 'in_flight', help: 'Requests in flight', registers }),
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration',
      labelNames: ['route'],
      buckets: [0.25, 1],
      unit: 'seconds',
      registers,
    }),
  };
}

/** A metadata field as our writer makes it (docs/file-format.md#metadata): `<N>s`, N the JSON's byte length. */
function meta(family: string, value: object) {
  const json = JSON.stringify(value);
  return unbuffered(`mmstats.meta.${family}`, `${Buffer.byteLength(json)}s`, json);
}

function parse(path: string, bytes: Uint8Array): MmstatsFile {
  const source = { size: bytes.length, read: (p: number, n: number) => bytes.slice(p, p + n) };
  const result = readMmstatsSource(path, source);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

const workers = () => [
  worker(101, (m) => {
    m.requests.inc({ method: 'GET', status: '2XX' }, 1);
    m.inFlight.set(10);
    m.duration.observe({ route: '/a' }, 0.125);
  }),
  worker(102, (m) => {
    m.requests.inc({ method: 'GET', status: '2XX' }, 2);
    m.requests.inc({ method: 'POST', status: '5XX' });
    m.inFlight.set(20);
    m.duration.observe({ route: '/a' }, 0.5);
    m.duration.observe({ route: '/a' }, 2);
    m.duration.observe({ route: '/b"x' }, 0.5);
  }),
  worker(103, (m) => {
    m.requests.inc({ method: 'GET', status: '2XX' }, 3);
    m.inFlight.set(30);
    m.duration.observe({ route: '/a' }, 0.125);
    m.duration.observe({ route: '/a' }, 0.5);
  }),
];

const EXPECTED = `# HELP web_stats_http_requests_total Requests
# TYPE web_stats_http_requests_total counter
web_stats_http_requests_total{method="GET",status="2XX"} 6
web_stats_http_requests_total{method="POST",status="5XX"} 1
# HELP in_flight Requests in flight
# TYPE in_flight gauge
in_flight{pid="101"} 10
in_flight{pid="102"} 20
in_flight{pid="103"} 30
# HELP http_request_duration_seconds Duration
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/a",le="0.25"} 2
http_request_duration_seconds_bucket{route="/a",le="1.0"} 4
http_request_duration_seconds_bucket{route="/a",le="+Inf"} 5
http_request_duration_seconds_sum{route="/a"} 3.25
http_request_duration_seconds_count{route="/a"} 5
http_request_duration_seconds_bucket{route="/b\\"x",le="0.25"} 0
http_request_duration_seconds_bucket{route="/b\\"x",le="1.0"} 1
http_request_duration_seconds_bucket{route="/b\\"x",le="+Inf"} 1
http_request_duration_seconds_sum{route="/b\\"x"} 0.5
http_request_duration_seconds_count{route="/b\\"x"} 1
`;

describe('filesToFamilies: one file per process, back to one exposition', () => {
  it('sums counters and histograms per series and keeps one gauge series per pid', () => {
    const files = workers().map((bytes, i) => parse(`w${i}.mmstats`, bytes));
    expect(renderExposition(filesToFamilies(files))).toBe(EXPECTED);
  });

  it('gives what the registry itself renders, for a single process (gauges aside)', () => {
    const proc = processImage({ pid: 7 });
    const m = define(proc.registers);
    m.requests.inc({ method: 'GET', status: '2XX' }, 41.5);
    m.requests.inc({ method: 'DELETE', status: '4XX' });
    m.duration.observe({ route: '/users/:id' }, 0.3);
    m.duration.observe({ route: '/' }, 7);
    const fromFile = renderExposition(filesToFamilies([parse('one', proc.store.bytes())]), 'openmetrics');
    const own = proc.registry.metrics('openmetrics') as string;
    expect(fromFile).toBe(own.replace('\nin_flight 0\n', '\nin_flight{pid="7"} 0\n'));
    expect(fromFile).toContain('# UNIT http_request_duration_seconds seconds\n');
  });

  it('turns files of the original Python mmstats into untyped families, leaving out sys.* and strings', () => {
    const python = image([
      unbuffered('web.sys.pid', 'I', 15699),
      unbuffered('web.sys.tid', 'q', 15699),
      unbuffered('web.sys.uid', 'Q', 1000),
      unbuffered('web.org.python.version', '256s', '2.7.18'),
      unbuffered('web.sys.created', 'd', 1.7e9),
      buffered('web.status.2XX', 'I', 5),
      buffered('web.timers.last_hit', 'd', 1300.25),
      unbuffered('web.flag', '?', true),
      unbuffered('web.name', '16s', 'frontend'),
    ]);
    const text = renderExposition(filesToFamilies([parse('py', python)]));
    expect(text).toBe(
      '# HELP web_status_2XX mmstats field web.status.2XX\n# TYPE web_status_2XX untyped\nweb_status_2XX{pid="15699"} 5\n' +
        '# HELP web_timers_last_hit mmstats field web.timers.last_hit\n# TYPE web_timers_last_hit untyped\nweb_timers_last_hit{pid="15699"} 1300.25\n' +
        '# HELP web_flag mmstats field web.flag\n# TYPE web_flag untyped\nweb_flag{pid="15699"} 1\n',
    );
  });

  it('keeps whatever a file holds valid: odd labels, pid clashes, thread files, bad metadata', () => {
    const a = image([
      unbuffered('sys.pid', 'I', 5),
      buffered('2xx{bad', 'Q', 1),
      buffered('x{a="1"}', 'Q', 2),
      buffered('y{__a="1"}', 'Q', 3),
      buffered('z{pid="other"}', 'Q', 4),
      unbuffered('mmstats.meta.broken', '5s', '{"typ'),
      buffered('broken', 'd', 6),
      meta('h', { type: 'histogram', help: 'H', unit: '' }),
      buffered('h', 'd', 7),
    ]);
    const sameProcess = image([unbuffered('sys.pid', 'I', 5), buffered('x{a="1"}', 'Q', 99)]);
    const thread = image([
      unbuffered('sys.pid', 'I', 5),
      unbuffered('sys.tid', 'q', 5001),
      buffered('x{a="1"}', 'Q', 8),
    ]);
    const families = filesToFamilies([parse('a', a), parse('b', sameProcess), parse('t', thread)]);
    const text = renderExposition(families);
    expect(families.map((f) => [f.name, f.type])).toEqual([
      ['_2xx_bad', 'untyped'],
      ['x', 'untyped'],
      ['y___a__1__', 'untyped'],
      ['z', 'untyped'],
      ['broken', 'untyped'],
      ['h', 'histogram'],
    ]);
    expect(text).toContain('x{a="1",pid="5"} 2\nx{a="1",pid="5",tid="5001"} 8\n');
    expect(text).not.toContain(' 99\n');
    expect(text).toContain('z{pid="other",mmstats_pid="5"} 4\n');
    // A histogram's bare name is no sample of it: the family stays, without that field.
    expect(text).toContain('broken{pid="5"} 6\n# HELP h H\n# TYPE h histogram\n');
    expect(text.endsWith('# TYPE h histogram\n')).toBe(true);
  });

  it('leaves out the default fields but not an application metric under a "sys." prefix', () => {
    const proc = processImage({ pid: 9 });
    new Gauge({ name: 'load', prefix: 'app.sys.', help: 'Load', registers: proc.registers }).set(1.5);
    const text = renderExposition(filesToFamilies([parse('sys', proc.store.bytes())]));
    expect(text).toBe('# HELP app_sys_load Load\n# TYPE app_sys_load gauge\napp_sys_load{pid="9"} 1.5\n');
  });

  it('keeps histogram buckets cumulative when processes use different bounds', () => {
    const a = image([
      meta('t', { type: 'histogram', help: 'T', unit: '' }),
      buffered('t_bucket{le="1.0"}', 'Q', 2),
      buffered('t_bucket{le="+Inf"}', 'Q', 3),
      buffered('t_count', 'Q', 3),
    ]);
    const b = image([
      buffered('t_bucket{le="0.5"}', 'Q', 1),
      buffered('t_bucket{le="2.0"}', 'Q', 4),
      buffered('t_bucket{le="+Inf"}', 'Q', 4),
      buffered('t_count', 'Q', 4),
    ]);
    const samples = filesToFamilies([parse('a', a), parse('b', b)])[0]!.samples;
    expect(samples.map((s) => `${s.suffix}{${s.labels}} ${s.value}`)).toEqual([
      '_bucket{le="0.5"} 1',
      '_bucket{le="1.0"} 3',
      '_bucket{le="2.0"} 6',
      '_bucket{le="+Inf"} 7',
      '_sum{} 0',
      '_count{} 7',
    ]);
  });
});

describe('renderMmstatsFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mmstats-aggregate-'));
    for (const [i, bytes] of workers().entries()) {
      writeFileSync(join(dir, `mmstats-web-${101 + i}-${101 + i}.mmstats`), bytes);
    }
    writeFileSync(join(dir, 'mmstats-web-999-999.mmstats'), new Uint8Array(4096));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('renders every readable file of a directory, skipping the broken one', () => {
    expect(renderMmstatsFiles(dir)).toBe(EXPECTED);
    expect(renderMmstatsFiles(undefined, 'text', { env: { MMSTATS_PATH: dir } })).toBe(EXPECTED);
    const om = renderMmstatsFiles(dir, 'openmetrics');
    expect(om).toContain('# TYPE web_stats_http_requests counter\n');
    expect(om.endsWith('# EOF\n')).toBe(true);
  });

  it.skipIf(!toolAvailable('promtool'))('passes the real promtool check metrics', () => {
    const multi = promtoolCheckMetrics(renderMmstatsFiles(dir));
    expect(multi.output).toBe('');
    expect(multi.ok).toBe(true);
    const python = image([
      unbuffered('web.sys.pid', 'I', 15699),
      buffered('web.status.2XX', 'I', 5),
      buffered('9lives', 'd', 1),
      buffered('a{b="c"}', 'd', 1),
    ]);
    const untyped = promtoolCheckMetrics(renderExposition(filesToFamilies([parse('py', python)])));
    expect(untyped.output).toBe('');
    expect(untyped.ok).toBe(true);
  });
});
