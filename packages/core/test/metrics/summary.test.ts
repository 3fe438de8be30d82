import * as prom from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { filesToFamilies } from '../../src/file-reader/aggregate.js';
import { readMmstatsSource } from '../../src/file-reader/reader.js';
import { renderExposition } from '../../src/files.js';
import { Registry, Summary } from '../../src/index.js';
import { TDigest } from '../../src/metrics/t-digest.js';
import { processImage } from '../support/mmstats-images.js';

const isolated = () => new Registry({ storage: false });

/** A shuffled 1..n, the same every run. */
function shuffled(n: number): number[] {
  const values = Array.from({ length: n }, (_, i) => i + 1);
  let seed = 42;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Summary (prom-client behaviour)', () => {
  it('reports the default percentiles, _sum and _count, as prom-client does for the same observations', async () => {
    const ours = new Summary({ name: 'latency_seconds', help: 'h', registers: [isolated()] });
    const theirs = new prom.Summary({ name: 'latency_seconds', help: 'h', registers: [] });
    for (const v of shuffled(150)) {
      ours.observe(v / 100);
      theirs.observe(v / 100);
    }
    const a = await ours.get();
    const b = await theirs.get();
    expect(a.values).toEqual(
      b.values.map(({ labels, value, metricName }) =>
        metricName ? { labels, value, metricName } : { labels, value },
      ),
    );
    expect(a.values.map((v) => v.labels.quantile).filter((q) => q !== undefined)).toEqual([
      0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999,
    ]);
  });

  it('takes percentiles, labels, positional labels(), startTimer and reset like prom-client', async () => {
    const registry = isolated();
    const s = new Summary({
      name: 'job_seconds',
      help: 'Job time',
      labelNames: ['job'],
      percentiles: [0.5, 0.9],
      registers: [registry],
    });
    s.observe({ job: 'a' }, 1);
    s.observe({ job: 'a' }, 3);
    s.labels('b').observe(10);
    expect(registry.metrics()).toBe(
      [
        '# HELP job_seconds Job time',
        '# TYPE job_seconds summary',
        'job_seconds{job="a",quantile="0.5"} 2',
        'job_seconds{job="a",quantile="0.9"} 3',
        'job_seconds_sum{job="a"} 4',
        'job_seconds_count{job="a"} 2',
        'job_seconds{job="b",quantile="0.5"} 10',
        'job_seconds{job="b",quantile="0.9"} 10',
        'job_seconds_sum{job="b"} 10',
        'job_seconds_count{job="b"} 1',
        '',
      ].join('\n'),
    );
    vi.useFakeTimers({ toFake: ['performance'] });
    const end = s.startTimer({ job: 'c' });
    vi.advanceTimersByTime(1500);
    expect(end()).toBeCloseTo(1.5, 6);
    s.reset();
    expect((await s.get()).values).toEqual([]);
  });

  it('rejects the reserved quantile label and bad percentiles, saying what to do', () => {
    expect(() => new Summary({ name: 's', help: 'h', labelNames: ['quantile'], registers: [] })).toThrow(
      /quantile.*reserved/,
    );
    expect(() => new Summary({ name: 's', help: 'h', percentiles: [1.5], registers: [] })).toThrow(
      /between 0 and 1/,
    );
    const s = new Summary({ name: 's', help: 'h', registers: [] });
    expect(() => s.observe(Number.NaN)).toThrow(/finite/);
  });

  it('writes 0 for the quantiles of an empty series, as prom-client', async () => {
    const s = new Summary({ name: 's', help: 'h', percentiles: [0.5], registers: [] });
    expect((await s.get()).values).toEqual([
      { labels: { quantile: 0.5 }, value: 0 },
      { labels: {}, value: 0, metricName: 's_sum' },
      { labels: {}, value: 0, metricName: 's_count' },
    ]);
  });

  it('with maxAgeSeconds/ageBuckets, forgets observations older than the window; _sum and _count keep counting', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const config = { name: 's', help: 'h', percentiles: [0.5], maxAgeSeconds: 10, ageBuckets: 5 };
    const ours = new Summary({ ...config, registers: [] });
    const theirs = new prom.Summary({ ...config, registers: [] });
    const both = (v: number) => {
      ours.observe(v);
      theirs.observe(v);
    };
    // Where one distinct value is in the window, prom-client's answer and ours are the same.
    const median = async (same: boolean) => {
      const [a, b] = [await ours.get(), await theirs.get()];
      if (same) expect(a.values[0]?.value).toBe(b.values[0]?.value);
      return a.values[0]?.value;
    };
    both(100);
    expect(await median(true)).toBe(100);
    vi.advanceTimersByTime(5000);
    both(1);
    both(1);
    // Ranks 1 and 2.5 (midpoints of 1×2 and 100×1); rank 1.5 interpolates between them. prom-client
    // gives 46 here: its ring starts as one digest shared by every slot, which counts the early
    // observations several times (see "Differences from prom-client").
    expect(await median(false)).toBe(34);
    vi.advanceTimersByTime(6000);
    // 11 s after it, the first observation is out of the window; the two 1s are not.
    expect(await median(true)).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(await median(true)).toBe(0);
    const values = (await ours.get()).values;
    expect(values.find((v) => v.metricName === 's_count')?.value).toBe(3);
    expect(values.find((v) => v.metricName === 's_sum')?.value).toBe(102);
  });

  it('pruneAgedBuckets drops a series once its window is empty, as prom-client', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 0 });
    const registry = isolated();
    const s = new Summary({
      name: 's',
      help: 'h',
      labelNames: ['k'],
      maxAgeSeconds: 1,
      ageBuckets: 1,
      pruneAgedBuckets: true,
      registers: [registry],
    });
    s.observe({ k: 'old' }, 1);
    vi.advanceTimersByTime(600);
    s.observe({ k: 'new' }, 1);
    vi.advanceTimersByTime(600);
    expect(await registry.metrics()).not.toContain('k="old"');
    expect((await s.get()).values.map((v) => v.labels.k)).not.toContain('old');
  });

  it('in the mmstats files writes only _sum and _count, which add up across processes', () => {
    const files = [101, 102].map((pid) => {
      const proc = processImage({ pid });
      const s = new Summary({
        name: 'rpc_seconds',
        help: 'RPC',
        labelNames: ['m'],
        registers: proc.registers,
      });
      s.observe({ m: 'get' }, pid === 101 ? 1 : 2);
      s.observe({ m: 'get' }, 4);
      const bytes = proc.store.bytes();
      const source = { size: bytes.length, read: (p: number, n: number) => bytes.slice(p, p + n) };
      const parsed = readMmstatsSource(`w${pid}.mmstats`, source);
      if (!parsed.ok) throw new Error(parsed.reason);
      return parsed;
    });
    expect(files[0]!.fields.map((f) => f.label).filter((l) => l.startsWith('rpc'))).toEqual([
      'rpc_seconds_sum{m="get"}',
      'rpc_seconds_count{m="get"}',
    ]);
    expect(renderExposition(filesToFamilies(files))).toBe(
      [
        '# HELP rpc_seconds RPC',
        '# TYPE rpc_seconds summary',
        'rpc_seconds_sum{m="get"} 11',
        'rpc_seconds_count{m="get"} 4',
        '',
      ].join('\n'),
    );
  });
});

describe('TDigest', () => {
  it('stays within a small rank error on a large uniform stream, at the tails too', () => {
    const digest = new TDigest();
    const n = 200_000;
    for (const v of shuffled(n)) digest.push(v);
    for (const q of [0.001, 0.01, 0.5, 0.9, 0.99, 0.999]) {
      const estimate = digest.quantile(q)!;
      expect(Math.abs(estimate / n - q)).toBeLessThan(q < 0.01 || q > 0.99 ? 0.0005 : 0.005);
    }
    expect(digest.count).toBe(n);
  });

  it('keeps repeated values in one centroid, so a constant stream reads back exactly', () => {
    const digest = new TDigest();
    for (let i = 0; i < 10_000; i++) digest.push(0.25);
    expect(digest.quantile(0.5)).toBe(0.25);
    expect(digest.quantile(0.999)).toBe(0.25);
  });
});
