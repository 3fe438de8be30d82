import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CachedReader } from '../../src/file-reader/cached-reader.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { Counter } from '../../src/metrics/counter.js';
import { Registry } from '../../src/metrics/registry.js';
import { tempDirectory } from '../lifecycle/support/app.js';

const dir = tempDirectory('cached-reader');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CachedReader: what a scrape reads again and again', () => {
  it('gives what the full reader gives, after values change and series are added', () => {
    const registry = new Registry({ storage: { directory: dir, app: 'cache', backend: 'fallback' } });
    const jobs = new Counter({
      name: 'jobs_total',
      help: 'Jobs.',
      labelNames: ['queue'],
      registers: [registry],
    });
    jobs.inc({ queue: 'a' }, 2);
    registry.sync();
    const path = registry.storageFiles[0]!;
    const cache = new CachedReader();
    const all = () => true;
    const same = () => expect(cache.read(path, all)).toEqual(readMmstatsFile(path));
    same();
    same(); // served from the remembered layout
    jobs.inc({ queue: 'a' }, 3);
    registry.sync();
    same();
    jobs.inc({ queue: 'b' }); // a new record after the remembered end
    registry.sync();
    same();
    const value = (label: string) => {
      const read = cache.read(path, all);
      return read.ok ? read.fields.find((f) => f.label === label)?.value : undefined;
    };
    expect(value('jobs_total{queue="a"}')).toBe(5);
    expect(value('jobs_total{queue="b"}')).toBe(1);
    registry.close();
    // A file it never saw is read in full; a removed one is a failure, as for the full reader.
    const next = new Registry({ storage: { directory: dir, app: 'cache', backend: 'fallback' } });
    const other = new Counter({ name: 'other_total', help: 'Other.', registers: [next] });
    other.inc(7);
    next.sync();
    const nextPath = next.storageFiles[0]!;
    expect(cache.read(nextPath, all)).toEqual(readMmstatsFile(nextPath));
    next.close();
    expect(cache.read(path, all)).toMatchObject({ ok: false });
  });
});
