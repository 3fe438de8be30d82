import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMmStats, type FieldMap, field, type MmStatsOptions } from '../../src/fields.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { fileName } from '../../src/storage/file-names.js';

let dir: string;
const made: { remove(): void }[] = [];
const savedEnv = { ...process.env };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmstats-seed-file-'));
  delete process.env.MMSTATS_FILES;
  process.env.MMSTATS_PATH = dir;
});
afterEach(() => {
  for (const stats of made.splice(0)) stats.remove();
  process.env = { ...savedEnv };
  rmSync(dir, { recursive: true, force: true });
});

function make<F extends FieldMap>(options: MmStatsOptions<F>) {
  const stats = createMmStats(options);
  made.push(stats);
  return stats;
}

describe('where the file goes', () => {
  it('defaults to mmstats-{CMD}-{PID}-{TID}.mmstats in $MMSTATS_PATH, which both reader globs find', () => {
    const stats = make({ fields: { n: field.uint() } });
    expect(stats.path).toBe(join(dir, fileName()));
    expect(basename(stats.path)).toMatch(new RegExp(`^mmstats-.+-${process.pid}-\\d+\\.mmstats$`));
  });

  it('numbers the default name past files that exist (another object, a registry, a dead process)', () => {
    const first = make({ fields: {} });
    writeFileSync(join(dir, fileName().replace('.mmstats', '-2.mmstats')), 'not ours');
    const third = make({ fields: {} });
    expect(basename(first.path)).toBe(fileName());
    expect(basename(third.path)).toBe(fileName().replace('.mmstats', '-3.mmstats'));
    expect(readFileSync(join(dir, fileName().replace('.mmstats', '-2.mmstats')), 'utf8')).toBe('not ours');
  });

  it('fills {CMD}, {PID} and {TID} in a filename, and uses the directory option', () => {
    const other = mkdtempSync(join(tmpdir(), 'mmstats-seed-dir-'));
    try {
      const stats = make({ directory: other, filename: 'app-{PID}.mmstats', fields: {} });
      expect(stats.path).toBe(join(other, `app-${process.pid}.mmstats`));
      stats.remove();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('a filename given replaces a file left there, but never the file of a live object of this process', () => {
    writeFileSync(join(dir, 'fixed.mmstats'), 'left by a dead process');
    const stats = make({ filename: 'fixed.mmstats', defaultFields: false, fields: { n: field.uint() } });
    expect(readMmstatsFile(stats.path).ok).toBe(true);
    expect(() => createMmStats({ filename: 'fixed.mmstats', fields: {} })).toThrow(
      /already written by another stats object of this process/,
    );
    stats.remove();
    make({ filename: 'fixed.mmstats', fields: {} });
  });

  it('is made 0600 by default, or with the mode asked for, and no temporary file stays behind', () => {
    const stats = make({ fields: { n: field.uint() } });
    expect(statSync(stats.path).mode & 0o777).toBe(0o600);
    const shared = make({ filename: 'shared.mmstats', mode: 0o644, fields: {} });
    expect(statSync(shared.path).mode & 0o777).toBe(0o644);
    expect(readdirSync(dir).sort()).toEqual([basename(stats.path), 'shared.mmstats'].sort());
  });

  it('a directory that does not exist is an error that names it', () => {
    expect(() => createMmStats({ directory: join(dir, 'missing'), fields: {} })).toThrow(
      expect.objectContaining({ code: 'STORAGE', message: expect.stringContaining(join(dir, 'missing')) }),
    );
  });
});

describe('size', () => {
  const stringOf = (size: number) =>
    make({ filename: `s${size}.mmstats`, defaultFields: false, fields: { x: field.string({ size }) } });
  // One record: 2 + 1 ("x") + 2 + len("<size>s") + 1 + size bytes, after the version byte.

  it('is one page while the records and two zero bytes fit in it', () => {
    const stats = stringOf(4082);
    expect(stats.size).toBe(4096);
    expect(statSync(stats.path).size).toBe(4096);
    const bytes = readFileSync(stats.path);
    expect([...bytes.subarray(4094)]).toEqual([0, 0]);
  });

  it('grows to whole pages, never leaving the last record without its end marker (docs/file-format.md#end-of-records)', () => {
    expect(stringOf(4083).size).toBe(8192);
    expect(stringOf(10_000).size).toBe(12_288);
    expect(statSync(join(dir, 's10000.mmstats')).size).toBe(12_288);
  });
});

describe('remove() and sync()', () => {
  it('remove() deletes the file; the object keeps working in memory; both can be called again', () => {
    const stats = make({ fields: { n: field.uint(), hits: field.counter() } });
    stats.n = 3;
    stats.sync();
    stats.remove();
    expect(existsSync(stats.path)).toBe(false);
    stats.n += 1;
    stats.hits.incr();
    expect([stats.n, stats.hits.value]).toEqual([4, 1]);
    stats.remove();
    stats.sync();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('members of the object are not enumerable; the fields are', () => {
    const stats = make({ defaultFields: false, fields: { a: field.uint(), b: field.bool() } });
    expect(Object.keys(stats)).toEqual(['a', 'b']);
    expect({ ...stats }).toEqual({ a: 0, b: false });
  });
});
