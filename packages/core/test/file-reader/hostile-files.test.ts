import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LITTLE_ENDIAN } from '../../src/file-format/byte-order.js';
import { parseLayout, type RecordLayout } from '../../src/file-format/records.js';
import { readMmstatsSource } from '../../src/file-reader/reader.js';
import { filesToFamilies, readMmstatsDirectory, readMmstatsFile } from '../../src/files.js';
import { Counter, Gauge, Histogram, Registry } from '../../src/index.js';
import { tempDirectories } from '../storage/support/warnings.js';

/**
 * Issue 19, "hostile files": values no counter or histogram can hold, and repeated records, are
 * skipped with a reason instead of summed; 1,000 seeded mutations of real files never give a
 * wrong total, never throw, and each read is bounded in time.
 */
const dirs = tempDirectories();
afterAll(() => dirs.cleanup());

let clean = '';
let names: string[] = [];

beforeAll(() => {
  clean = dirs.make();
  const registries = [1, 2, 3].map(
    () => new Registry({ storage: { directory: clean, backend: 'fallback', segmentSize: 8192 } }),
  );
  registries.forEach((registry, p) => {
    const counter = new Counter({
      name: 'jobs_total',
      help: 'j',
      labelNames: ['queue'],
      registers: [registry],
    });
    const histogram = new Histogram({
      name: 'job_seconds',
      help: 'h',
      buckets: [0.1, 1],
      registers: [registry],
    });
    const gauge = new Gauge({ name: 'depth', help: 'd', registers: [registry] });
    for (let i = 0; i < 20 + p; i++) counter.inc({ queue: `q${i % 4}` });
    for (let i = 0; i < 7; i++) histogram.observe(i / 5);
    gauge.set(p);
    registry.sync();
  });
  names = readdirSync(clean).filter((name) => name.endsWith('.mmstats'));
  // Written out, the files outlive their registries: close them without removing the files.
  for (const registry of registries)
    (registry.store as unknown as { open: { close(keep: boolean): void } }).open.close(true);
});

type Totals = Map<string, number>;

/** Counter and histogram samples by family, suffix and labels (gauges are per process). */
function totals(directory: string, onSkip?: (path: string, reason: string) => void): Totals {
  const { files } = readMmstatsDirectory(directory);
  const out: Totals = new Map();
  for (const family of filesToFamilies(files, { onSkip })) {
    if (family.type !== 'counter' && family.type !== 'histogram') continue;
    for (const sample of family.samples)
      out.set(`${family.name}${sample.suffix}{${sample.labels}}`, sample.value);
  }
  return out;
}

function layoutOf(bytes: Uint8Array): RecordLayout[] {
  const layout = parseLayout(bytes, LITTLE_ENDIAN);
  if (!layout.ok) throw new Error(layout.reason);
  return layout.records;
}

/** Overwrites the published value of a record with the bytes of a float64. */
function setPublished(bytes: Uint8Array, record: RecordLayout, value: number): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wb = bytes[record.wbOffset]!;
  const at = record.wbOffset + 1 + (record.buffered ? (wb ^ 1) * record.size : 0);
  if (record.sig === 'Q')
    dv.setBigUint64(
      at,
      BigInt.asUintN(64, BigInt(Math.trunc(Number.isFinite(value) ? value : 2 ** 60))),
      true,
    );
  if (record.sig === 'Q' && !Number.isFinite(value)) dv.setFloat64(at, value, true);
  if (record.sig === 'd') dv.setFloat64(at, value, true);
}

/** The same record once more, before the end marker: a file that lists one series twice. */
function repeatRecord(bytes: Uint8Array, records: RecordLayout[], index: number): Uint8Array {
  const record = records[index]!;
  const end = records[index + 1]?.offset ?? endOf(records);
  const copy = bytes.slice(record.offset, end);
  const last = endOf(records);
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  if (last + copy.byteLength + 2 > out.byteLength) return out;
  out.set(copy, last);
  return out;
}

function endOf(records: RecordLayout[]): number {
  const last = records[records.length - 1]!;
  return last.wbOffset + 1 + (last.buffered ? 2 : 1) * last.size;
}

const HOSTILE_VALUES = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 2 ** 53 + 2];

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('hostile files', () => {
  it('a counter value that is not finite or negative skips the file with a reason, never summed', () => {
    const work = dirs.make();
    for (const name of names) copyFileSync(join(clean, name), join(work, name));
    const before = totals(work);
    const path = join(work, names[0]!);
    const bytes = new Uint8Array(readFileSync(path));
    const alone = dirs.make();
    copyFileSync(path, join(alone, names[0]!));
    const own = totals(alone);
    for (const value of HOSTILE_VALUES) {
      const mutated = bytes.slice();
      const record = layoutOf(mutated).find((r) => r.label.startsWith('jobs_total{'))!;
      setPublished(mutated, record, value);
      writeFileSync(path, mutated);
      const skipped: string[] = [];
      const after = totals(work, (_path, reason) => skipped.push(reason));
      expect(skipped.join('; '), String(value)).toMatch(
        /counter value .* \((must be finite and >= 0|beyond 2\^53.*)\)/,
      );
      for (const [key, total] of after)
        expect(total, `${key} with ${value}`).toBeCloseTo((before.get(key) ?? 0) - (own.get(key) ?? 0), 9);
    }
  });

  it('a histogram count that is not a whole number below 2^53 skips the file', () => {
    const work = dirs.make();
    copyFileSync(join(clean, names[1]!), join(work, names[1]!));
    const path = join(work, names[1]!);
    const mutated = new Uint8Array(readFileSync(path));
    const record = layoutOf(mutated).find((r) => r.label.startsWith('job_seconds_count'))!;
    setPublished(mutated, record, Number.NaN);
    writeFileSync(path, mutated);
    const skipped: string[] = [];
    expect(totals(work, (_p, reason) => skipped.push(reason)).size).toBe(0);
    expect(skipped[0]).toContain('histogram count');
  });

  it('a repeated record is counted once, not once per copy, with a reason', () => {
    const work = dirs.make();
    copyFileSync(join(clean, names[0]!), join(work, names[0]!));
    const before = totals(work);
    const path = join(work, names[0]!);
    const bytes = new Uint8Array(readFileSync(path));
    const records = layoutOf(bytes);
    const index = records.findIndex((r) => r.label.startsWith('jobs_total{'));
    writeFileSync(path, repeatRecord(bytes, records, index));
    expect(readMmstatsFile(path).ok).toBe(true);
    const reasons: string[] = [];
    const after = totals(work, (_p, reason) => reasons.push(reason));
    expect(after).toEqual(before);
    expect(reasons).toEqual(['the record is repeated in the file: only the first copy counts']);
  });

  it('reading is bounded per file: over maxBytes or maxMilliseconds, the file is skipped with a reason', () => {
    const path = join(clean, names[0]!);
    const small = readMmstatsFile(path, { maxBytes: 4096 });
    expect(small).toMatchObject({
      ok: false,
      reason: expect.stringContaining('larger than maxBytes (4096)'),
    });
    const bytes = new Uint8Array(readFileSync(path));
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // A source that takes 30 ms per read: a file on a stalled disk, say.
    const slow = {
      size: bytes.byteLength,
      read(position: number, length: number) {
        Atomics.wait(pause, 0, 0, 30);
        return bytes.subarray(position, position + length);
      },
    };
    const started = performance.now();
    const result = readMmstatsSource(path, slow, { maxMilliseconds: 20 });
    expect(result).toMatchObject({
      ok: false,
      reason: expect.stringContaining('longer than maxMilliseconds (20 ms)'),
    });
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('1,000 seeded mutations: no wrong total, no crash, each read bounded in time', () => {
    const work = dirs.make();
    for (const name of names) copyFileSync(join(clean, name), join(work, name));
    const full = totals(work);
    const contribution = names.map((name) => {
      const alone = dirs.make();
      copyFileSync(join(clean, name), join(alone, name));
      return totals(alone);
    });
    const next = random(19);
    let slowest = 0;
    for (let i = 0; i < 1000; i++) {
      const which = Math.floor(next() * names.length);
      const path = join(work, names[which]!);
      const original = new Uint8Array(readFileSync(join(clean, names[which]!)));
      let bytes = original.slice();
      const records = layoutOf(bytes);
      const kind = next();
      const record = records[Math.floor(next() * records.length)]!;
      if (kind < 0.4) {
        const value = HOSTILE_VALUES[Math.floor(next() * HOSTILE_VALUES.length)]!;
        // A histogram's sum may be negative or huge (negative observations): only non-finite is hostile there.
        if (!record.label.includes('_sum') || !Number.isFinite(value)) setPublished(bytes, record, value);
      } else if (kind < 0.55) bytes = repeatRecord(bytes, records, records.indexOf(record)) as typeof bytes;
      else if (kind < 0.7) bytes = bytes.slice(0, Math.floor(next() * bytes.byteLength));
      else {
        // Lengths, not text or type codes: a flipped label byte can turn one valid series into
        // another, a flipped `d` into `f` one valid value into another, which no reader can tell
        // from the truth.
        for (let f = 0; f < 1 + Math.floor(next() * 4); f++) {
          const target = records[Math.floor(next() * records.length)]!;
          const spots = [0, target.offset, target.offset + 1];
          const at = spots[Math.floor(next() * spots.length)]!;
          bytes[at] = bytes[at]! ^ (1 << Math.floor(next() * 8));
        }
      }
      writeFileSync(path, bytes);
      const started = performance.now();
      const after = totals(work);
      slowest = Math.max(slowest, performance.now() - started);
      for (const [key, total] of after) {
        const own = contribution[which]!.get(key) ?? 0;
        const expected = full.get(key);
        // Either the mutated file counted as it was, or it was left out; a renamed series (a
        // flipped label byte) shows its own true value. Never anything else.
        const allowed = expected === undefined ? [own, total] : [expected, expected - own];
        if (expected === undefined) expect(Number.isFinite(total) && total >= 0, key).toBe(true);
        else
          expect(
            allowed.some((value) => Math.abs(value - total) <= 1e-9 * Math.max(1, Math.abs(value))),
            `mutation ${i}: ${key} = ${total}, expected one of ${allowed.join(' or ')}`,
          ).toBe(true);
      }
      writeFileSync(path, original);
    }
    expect(slowest).toBeLessThan(1000);
  });
});
