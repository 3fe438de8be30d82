import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CachedReader } from '../../src/file-reader/cached-reader.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { Counter } from '../../src/metrics/counter.js';
import { Registry } from '../../src/metrics/registry.js';
import { tempDirectory } from '../lifecycle/support/app.js';
import { buffered, image, unbuffered } from '../support/mmstats-images.js';

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

  it('notices a static value that changed under the same inode and size (an archive replaced by the next)', () => {
    const path = join(dir, 'static.mmstats');
    const write = (generation: number) =>
      writeFileSync(
        path,
        image([
          unbuffered('mmstats.app', '4s', 'shop'),
          unbuffered('mmstats.archive', '16s', `{"generation":${generation}}`),
          buffered('x_total', 'd', 1),
        ]),
      );
    write(1);
    const cache = new CachedReader();
    const generation = () => {
      const read = cache.read(path, () => true);
      return read.ok ? read.fields[1]!.value : undefined;
    };
    expect(generation()).toBe('{"generation":1}');
    expect(generation()).toBe('{"generation":1}');
    write(2); // in place: the same inode, the same size
    expect(generation()).toBe('{"generation":2}');
  });
});
