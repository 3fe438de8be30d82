import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderExposition } from '../../src/exposition/render.js';
import { archivePath, listApps, readAppFiles } from '../../src/file-reader/app-files.js';
import { foldIntoArchive } from '../../src/file-reader/archive.js';
import { appFamilies } from '../../src/file-reader/cluster-metrics.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { appSlug, ownStartTime } from '../../src/storage/app-identity.js';
import { message, runWriter, stop } from '../storage/support/child.js';
import { mmstatsFiles, tempDirectory } from './support/app.js';
import { bundleServer } from './support/bundle.js';
import { DEAD_PID, writeProcessFile } from './support/dead-files.js';

const root = tempDirectory('archive');
afterAll(() => rmSync(root, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));

function render(directory: string, app: string, fold = true): string {
  return renderExposition(appFamilies(directory, app, { fold }), 'text');
}

function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('the archive: counters and histograms of dead processes, one file per app', () => {
  it('folds dead files of one app into an archive our reader reads; live files, gauges and other apps stay', () => {
    const dir = tempDirectory('archive-fold');
    writeProcessFile(dir, 'mmstats-a-1.mmstats', {
      pid: DEAD_PID,
      app: 'shop',
      jobs: 3,
      observations: 2,
      depth: 9,
    });
    writeProcessFile(dir, 'mmstats-a-2.mmstats', {
      pid: DEAD_PID + 1,
      app: 'shop',
      jobs: 4,
      observations: 1,
    });
    writeProcessFile(dir, 'mmstats-a-3.mmstats', {
      pid: process.pid,
      start: ownStartTime(),
      app: 'shop',
      jobs: 5,
      depth: 7,
    });
    writeProcessFile(dir, 'mmstats-b-1.mmstats', { pid: DEAD_PID + 2, app: 'blog', jobs: 100 });

    const before = render(dir, 'shop', false);
    const after = render(dir, 'shop');
    expect(after).toBe(before);
    expect(value(after, 'jobs_total{queue="mail"}')).toBe(12);
    expect(value(after, 'job_seconds_count')).toBe(3);
    expect(value(after, 'job_seconds_bucket{le="1.0"}')).toBe(3);
    expect(value(after, `queue_depth{pid="${process.pid}"}`)).toBe(7);
    expect(after).not.toMatch(new RegExp(`pid="${DEAD_PID}"`));

    const archive = `mmstats-archive-${appSlug('shop')}.mmstats`;
    expect(mmstatsFiles(dir)).toEqual(['mmstats-a-3.mmstats', archive, 'mmstats-b-1.mmstats']);
    const read = readMmstatsFile(join(dir, archive));
    expect(read.ok).toBe(true);
    // The other app is untouched and counts only for itself.
    expect(value(render(dir, 'blog', false), 'jobs_total{queue="mail"}')).toBe(100);
    expect(listApps(dir)).toEqual([
      { app: 'blog', live: 0, dead: 1, archived: false },
      { app: 'shop', live: 1, dead: 0, archived: true },
    ]);
    // A second fold of more dead files adds to the archive.
    writeProcessFile(dir, 'mmstats-a-4.mmstats', { pid: DEAD_PID + 3, app: 'shop', jobs: 10 });
    expect(value(render(dir, 'shop'), 'jobs_total{queue="mail"}')).toBe(22);
    expect(mmstatsFiles(dir)).toHaveLength(3);
    rmSync(dir, { recursive: true });
  });

  it('a live PID whose start time differs from the file is a reused PID: the writer is dead', () => {
    const dir = tempDirectory('archive-reuse');
    writeProcessFile(dir, 'mmstats-a-1.mmstats', {
      pid: process.pid,
      start: '1',
      app: 'shop',
      jobs: 2,
      depth: 5,
    });
    const files = readAppFiles(dir, 'shop');
    expect(files.dead).toHaveLength(process.platform === 'linux' ? 1 : 0);
    if (process.platform === 'linux') {
      const text = render(dir, 'shop');
      expect(value(text, 'jobs_total{queue="mail"}')).toBe(2);
      expect(text).not.toMatch(/queue_depth\{/);
    }
    rmSync(dir, { recursive: true });
  });

  it('a lock left by a folder that died is taken over; a live holder makes the fold wait its turn', () => {
    const dir = tempDirectory('archive-lock');
    const lock = join(dir, `.mmstats-archive-${appSlug('shop')}.lock`);
    writeProcessFile(dir, 'mmstats-a-1.mmstats', { pid: DEAD_PID, app: 'shop', jobs: 2 });
    writeFileSync(lock, `${process.pid} ${ownStartTime() ?? ''}\n`);
    expect(foldIntoArchive(dir, 'shop')).toEqual({ folded: 0, removed: 0, locked: true });
    writeFileSync(lock, `${DEAD_PID} 1\n`);
    expect(foldIntoArchive(dir, 'shop')).toEqual({ folded: 1, removed: 1, locked: false });
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(archivePath(dir, 'shop'))).toBe(true);
    rmSync(dir, { recursive: true });
  });
});

describe('concurrent folders', () => {
  let folder = '';
  beforeAll(() => {
    folder = bundleServer(root, 'folder');
  });

  it('four processes folding while dead files keep appearing: readers never see a count twice or lose one', async () => {
    const dir = tempDirectory('archive-race');
    const folders = Array.from({ length: 4 }, () =>
      runWriter(folder, { directory: dir, app: 'shop', ms: 2000 }),
    );
    let written = 0;
    let seen = 0;
    let files = 0;
    try {
      for (let i = 0; i < 100; i++) {
        writeProcessFile(dir, `mmstats-w-${i}.mmstats`, {
          pid: DEAD_PID + i,
          app: 'shop',
          jobs: i + 1,
          observations: 1,
        });
        written += i + 1;
        files++;
        // Read without folding, as a scrape that lost the race for the lock does.
        const total = value(render(dir, 'shop', false), 'jobs_total{queue="mail"}') ?? 0;
        expect(total).toBeGreaterThanOrEqual(seen);
        expect(total).toBeLessThanOrEqual(written);
        // Everything written before this read is in it: dead files or the archive.
        expect(total).toBe(written);
        seen = total;
        await new Promise((r) => setTimeout(r, 5));
      }
      const results = await Promise.all(folders.map((f) => message(f, (m) => 'folded' in m, 15_000)));
      const folded = results.reduce((n, m) => n + (m.folded as number), 0);
      const final = render(dir, 'shop');
      expect(value(final, 'jobs_total{queue="mail"}')).toBe(written);
      expect(value(final, 'job_seconds_count')).toBe(files);
      // Each dead file was taken in exactly once, by one of the five folders.
      expect(folded).toBeGreaterThan(0);
      expect(folded).toBeLessThanOrEqual(files);
      expect(readdirSync(dir)).toEqual([`mmstats-archive-${appSlug('shop')}.mmstats`]);
    } finally {
      await Promise.all(folders.map(stop));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
