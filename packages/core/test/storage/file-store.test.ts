import { lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Counter, Gauge, Histogram, Registry } from '../../src/index.js';
import { fileName, numberedFileName } from '../../src/storage/file-names.js';
import { parseFile, valuesOf } from './support/file-parser.js';
import { tempDirectories } from './support/warnings.js';

const dirs = tempDirectories();
afterEach(() => dirs.cleanup());

type Backend = 'mmap' | 'fallback';

function open(backend: Backend, extra: Record<string, unknown> = {}) {
  const directory = dirs.make();
  const registry = new Registry({ storage: { directory, backend, ...extra } });
  return { directory, registry };
}

/** The file values as the bytes say, from every file of the registry. */
function fileValues(registry: Registry): Map<string, number | string> {
  const all = new Map<string, number | string>();
  for (const path of registry.storageFiles) for (const [k, v] of valuesOf(parseFile(path))) all.set(k, v);
  return all;
}

describe.each(['mmap', 'fallback'] as const)('mmstats file storage, %s backend', (backend) => {
  it('uses the backend it was asked for', () => {
    const { registry } = open(backend);
    new Counter({ name: 'a_total', help: 'a', registers: [registry] });
    expect(registry.storageBackend).toBe(backend);
    expect(registry.storageFiles).toHaveLength(1);
    registry.close();
  });

  it('writes a byte-compatible v1 file: version, default fields, metadata, 0600, page-sized, end marker', () => {
    const { directory, registry } = open(backend);
    new Counter({ name: 'req_total', help: 'Requests.', registers: [registry] }).inc();
    registry.sync();
    const [path] = registry.storageFiles;
    expect(path!.startsWith(join(directory, 'mmstats-'))).toBe(true);
    expect(path!.endsWith('.mmstats')).toBe(true);
    const stat = statSync(path!);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(stat.size % 4096).toBe(0);
    expect(stat.size).toBe(64 * 1024);
    const bytes = readFileSync(path!);
    const image = parseFile(path!);
    expect(image.version).toBe(1);
    expect(bytes[image.end]).toBe(0);
    expect(bytes[image.end + 1]).toBe(0);
    const byLabel = new Map(image.fields.map((f) => [f.label, f]));
    expect(byLabel.get('sys.pid')).toMatchObject({ sig: 'I', writeBuffer: 0xff, value: process.pid });
    expect(byLabel.get('sys.tid')).toMatchObject({ sig: 'q', writeBuffer: 0xff });
    expect(byLabel.get('sys.uid')).toMatchObject({ sig: 'Q', writeBuffer: 0xff, value: process.getuid!() });
    expect(byLabel.get('sys.gid')).toMatchObject({ sig: 'Q', writeBuffer: 0xff, value: process.getgid!() });
    expect(byLabel.get('sys.created')!.sig).toBe('d');
    expect(Math.abs((byLabel.get('sys.created')!.value as number) - Date.now() / 1000)).toBeLessThan(60);
    expect(byLabel.get('org.nodejs.version')).toMatchObject({ sig: '256s', value: process.version });
    const meta = byLabel.get('mmstats.meta.req_total')!;
    expect(meta.writeBuffer).toBe(0xff);
    expect(meta.sig).toBe(`${Buffer.byteLength(meta.value as string)}s`);
    expect(JSON.parse(meta.value as string)).toEqual({ type: 'counter', help: 'Requests.', unit: '' });
    expect(byLabel.get('req_total')).toMatchObject({ sig: 'd', value: 1 });
    expect(image.fields.slice(0, 6).map((f) => f.label)).toEqual([
      'sys.pid',
      'sys.tid',
      'sys.uid',
      'sys.gid',
      'sys.created',
      'org.nodejs.version',
    ]);
    registry.close();
  });

  it('puts counter, gauge and histogram values in the file exactly', () => {
    const { registry } = open(backend);
    const counter = new Counter({
      name: 'http_requests_total',
      help: 'h',
      labelNames: ['route'],
      prefix: 'web.stats.',
      registers: [registry],
    });
    const gauge = new Gauge({ name: 'temp', help: 'g', registers: [registry] });
    const histogram = new Histogram({
      name: 'lat_seconds',
      help: 'l',
      buckets: [0.1, 1],
      registers: [registry],
    });
    counter.inc({ route: '/a' }, 2.5);
    counter.labels('/b').inc();
    gauge.set(-3.25);
    for (const v of [0.05, 0.5, 0.5, 7]) histogram.observe(v);
    if (backend === 'mmap') {
      // Counters and gauges are stores into the shared mapping: visible before any sync.
      const now = fileValues(registry);
      expect(now.get('web.stats.http_requests_total{route="/a"}')).toBe(2.5);
      expect(now.get('temp')).toBe(-3.25);
    }
    registry.sync();
    const values = fileValues(registry);
    expect(values.get('web.stats.http_requests_total{route="/a"}')).toBe(2.5);
    expect(values.get('web.stats.http_requests_total{route="/b"}')).toBe(1);
    expect(values.get('temp')).toBe(-3.25);
    expect(values.get('lat_seconds_bucket{le="0.1"}')).toBe(1);
    expect(values.get('lat_seconds_bucket{le="1.0"}')).toBe(3);
    expect(values.get('lat_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(values.get('lat_seconds_sum')).toBe(8.05);
    expect(values.get('lat_seconds_count')).toBe(4);
    const sigs = new Map(parseFile(registry.storageFiles[0]!).fields.map((f) => [f.label, f.sig]));
    expect(sigs.get('lat_seconds_bucket{le="0.1"}')).toBe('Q');
    expect(sigs.get('lat_seconds_count')).toBe('Q');
    expect(sigs.get('lat_seconds_sum')).toBe('d');
    expect(sigs.get('temp')).toBe('d');
    registry.close();
  });

  it('publishes histograms within the interval without sync()', async () => {
    const { registry } = open(backend, { interval: 20 });
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', buckets: [1], registers: [registry] });
    histogram.observe(0.5);
    const deadline = Date.now() + 2000;
    while (fileValues(registry).get('h_seconds_count') !== 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(fileValues(registry).get('h_seconds_count')).toBe(1);
    registry.close();
  });

  it('shows series added after start-up', () => {
    const { registry } = open(backend);
    const counter = new Counter({
      name: 'c_total',
      help: 'c',
      labelNames: ['status'],
      registers: [registry],
    });
    counter.inc({ status: '2XX' });
    registry.sync();
    expect(fileValues(registry).has('c_total{status="5XX"}')).toBe(false);
    counter.inc({ status: '5XX' }, 3);
    registry.sync();
    const values = fileValues(registry);
    expect(values.get('c_total{status="2XX"}')).toBe(1);
    expect(values.get('c_total{status="5XX"}')).toBe(3);
    registry.close();
  });

  it('starts the next file when one is full, each with the default fields and metadata', () => {
    const { directory, registry } = open(backend, { segmentSize: 4096 });
    const counter = new Counter({ name: 'many_total', help: 'm', labelNames: ['i'], registers: [registry] });
    for (let i = 0; i < 200; i++) counter.inc({ i: String(i) }, i);
    registry.sync();
    const files = registry.storageFiles;
    expect(files.length).toBeGreaterThan(2);
    const [first, ...rest] = files.map((f) => f.slice(directory.length + 1));
    // Names are per process: this registry's first file may already carry a number.
    const base = fileName();
    const numbers = [first!, ...rest].map((name) => {
      for (let n = 1; n < 10_000; n++) if (numberedFileName(base, n) === name) return n;
      return -1;
    });
    expect(numbers.every((n) => n > 0)).toBe(true);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    expect(new Set(readdirSync(directory))).toEqual(new Set([first, ...rest]));
    for (const path of files) {
      expect(statSync(path).size).toBe(4096);
      const labels = parseFile(path).fields.map((f) => f.label);
      expect(labels.slice(0, 6)).toEqual([
        'sys.pid',
        'sys.tid',
        'sys.uid',
        'sys.gid',
        'sys.created',
        'org.nodejs.version',
      ]);
      expect(labels).toContain('mmstats.meta.many_total');
    }
    const values = fileValues(registry);
    for (let i = 0; i < 200; i++) expect(values.get(`many_total{i="${i}"}`)).toBe(i);
    registry.close();
  });

  it('gives a second registry of the process its own, numbered file', () => {
    const directory = dirs.make();
    const one = new Registry({ storage: { directory, backend } });
    const two = new Registry({ storage: { directory, backend } });
    new Counter({ name: 'one_total', help: 'o', registers: [one] }).inc(1);
    new Counter({ name: 'two_total', help: 't', registers: [two] }).inc(2);
    one.sync();
    two.sync();
    const [a] = one.storageFiles;
    const [b] = two.storageFiles;
    expect(a).not.toBe(b);
    expect(b).toMatch(/-\d+\.mmstats$/);
    expect(valuesOf(parseFile(a!)).get('one_total')).toBe(1);
    expect(valuesOf(parseFile(a!)).has('two_total')).toBe(false);
    expect(valuesOf(parseFile(b!)).get('two_total')).toBe(2);
    one.close();
    two.close();
  });

  it('never writes a label whose length is a multiple of 256: it gets one trailing space', () => {
    const { registry } = open(backend);
    const counter = new Counter({ name: 'x_total', help: 'x', labelNames: ['v'], registers: [registry] });
    const overhead = 'x_total{v=""}'.length;
    counter.inc({ v: 'a'.repeat(256 - overhead) }, 7);
    counter.inc({ v: 'b'.repeat(512 - overhead) }, 8);
    counter.inc({ v: 'c'.repeat(255 - overhead) }, 9);
    registry.sync();
    const fields = parseFile(registry.storageFiles[0]!).fields.filter((f) => f.label.startsWith('x_total{'));
    expect(fields.map((f) => f.labelBytes)).toEqual([257, 513, 255]);
    expect(fields.map((f) => f.label.endsWith(' '))).toEqual([true, true, false]);
    expect(fields.map((f) => f.value)).toEqual([7, 8, 9]);
    registry.close();
  });

  it('replaces a symlink planted at its file name and leaves the link target untouched', () => {
    const directory = dirs.make();
    const target = join(dirs.make(), 'precious');
    writeFileSync(target, 'do not touch');
    const base = fileName();
    // The store's number is per process and unknown here: plant a link at every likely name.
    for (let n = 1; n <= 300; n++) symlinkSync(target, join(directory, numberedFileName(base, n)));
    const registry = new Registry({ storage: { directory, backend } });
    new Counter({ name: 'l_total', help: 'l', registers: [registry] }).inc(4);
    registry.sync();
    const [path] = registry.storageFiles;
    expect(lstatSync(path!).isSymbolicLink()).toBe(false);
    expect(lstatSync(path!).isFile()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('do not touch');
    expect(valuesOf(parseFile(path!)).get('l_total')).toBe(4);
    registry.close();
    expect(readFileSync(target, 'utf8')).toBe('do not touch');
  });

  it('never overwrites a regular file already at its name (a dead process may have left totals there)', () => {
    const directory = dirs.make();
    const base = fileName();
    for (let n = 1; n <= 300; n++) writeFileSync(join(directory, numberedFileName(base, n)), `keep ${n}`);
    const registry = new Registry({ storage: { directory, backend } });
    new Counter({ name: 'k_total', help: 'k', registers: [registry] }).inc();
    const [path] = registry.storageFiles;
    for (let n = 1; n <= 300; n++) {
      const planted = join(directory, numberedFileName(base, n));
      expect(planted).not.toBe(path);
      expect(readFileSync(planted, 'utf8')).toBe(`keep ${n}`);
    }
    registry.close();
  });

  it('close() removes the files; metrics keep working in memory afterwards', async () => {
    const { directory, registry } = open(backend);
    const counter = new Counter({ name: 'after_total', help: 'a', labelNames: ['k'], registers: [registry] });
    const histogram = new Histogram({
      name: 'after_seconds',
      help: 'a',
      buckets: [1],
      registers: [registry],
    });
    counter.inc({ k: 'old' });
    registry.close();
    expect(readdirSync(directory)).toEqual([]);
    expect(registry.storageFiles).toEqual([]);
    expect(registry.storageBackend).toBe('memory');
    counter.inc({ k: 'old' });
    counter.inc({ k: 'new' }, 5);
    histogram.observe(2);
    registry.sync();
    registry.close();
    const text = await registry.metrics();
    expect(text).toContain('after_total{k="old"} 2');
    expect(text).toContain('after_total{k="new"} 5');
    expect(text).toContain('after_seconds_count 1');
    expect(readdirSync(directory)).toEqual([]);
  });

  it('close() with removeOnExit: false keeps the files with the final values', () => {
    const { directory, registry } = open(backend, { removeOnExit: false });
    const histogram = new Histogram({ name: 'kept_seconds', help: 'k', buckets: [1], registers: [registry] });
    histogram.observe(0.5);
    registry.close();
    const files = readdirSync(directory);
    expect(files).toHaveLength(1);
    expect(registry.storageFiles).toEqual([join(directory, files[0]!)]);
    expect(valuesOf(parseFile(join(directory, files[0]!))).get('kept_seconds_count')).toBe(1);
  });
});
