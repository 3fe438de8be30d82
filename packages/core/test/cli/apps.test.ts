import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldIntoArchive } from '../../src/file-reader/archive.js';
import { appSlug, ownStartTime } from '../../src/storage/app-identity.js';
import { tempDirectory } from '../lifecycle/support/app.js';
import { DEAD_PID, writeProcessFile } from '../lifecycle/support/dead-files.js';
import { run } from './support/run.js';

const ROUTE = 'http_requests_total{method="GET",route="/users/:id/orders/:orderId/items/:itemId"';
let dir = '';
const live = { pid: process.pid, start: ownStartTime() };

beforeAll(() => {
  dir = tempDirectory('cli-apps');
  writeProcessFile(dir, 'mmstats-gone-1.mmstats', { pid: DEAD_PID, app: 'shop', jobs: 100, requests: 100 });
  foldIntoArchive(dir, 'shop');
  writeProcessFile(dir, 'mmstats-shop-1.mmstats', { ...live, app: 'shop', jobs: 1, requests: 3 });
  writeProcessFile(dir, 'mmstats-shop-2.mmstats', { pid: DEAD_PID + 1, app: 'shop', jobs: 10, requests: 20 });
  writeProcessFile(dir, 'mmstats-blog-1.mmstats', { ...live, app: 'blog', jobs: 1000, requests: 5 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const headers = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('==> '));

describe('the CLI shows running processes by default, --all the rest, --app one application', () => {
  it('slurp: live files only, a note on stderr of what it left out; lines fit 80 columns', async () => {
    const result = await run(['slurp', dir]);
    expect(result.code).toBe(0);
    expect(headers(result.stdout)).toEqual([
      `==> ${join(dir, 'mmstats-blog-1.mmstats')}`,
      `==> ${join(dir, 'mmstats-shop-1.mmstats')}`,
    ]);
    expect(result.stderr).toBe(
      'mmstats: not shown: 1 file(s) of processes that are gone, 1 archive(s); --all shows them\n',
    );
    // Only a string value too long for the rest of a line (metadata JSON) may pass column 80.
    const wide = result.stdout.split('\n').filter((line) => line.length > 80);
    expect(wide.every((line) => line.startsWith('  mmstats.meta.'))).toBe(true);
    // A label too long for a line is broken between its label pairs; the value goes below.
    expect(result.stdout).toContain(
      `  http_requests_total{method="GET",\n    route="/users/:id/orders/:orderId/items/:itemId",status="2XX"}\n${' '.repeat(51)}3\n`,
    );
  });

  it('slurp --all adds the dead and the archive, marked; --app selects', async () => {
    const all = await run(['slurp', '--all', dir]);
    expect(headers(all.stdout)).toEqual([
      `==> ${join(dir, `mmstats-archive-${appSlug('shop')}.mmstats`)} (archive)`,
      `==> ${join(dir, 'mmstats-blog-1.mmstats')}`,
      `==> ${join(dir, 'mmstats-shop-1.mmstats')}`,
      `==> ${join(dir, 'mmstats-shop-2.mmstats')} (process gone)`,
    ]);
    const shop = await run(['slurp', '--app', 'shop', '--all', dir]);
    expect(headers(shop.stdout)).toHaveLength(3);
    const json = JSON.parse((await run(['slurp', '--json', '--app', 'blog', dir])).stdout);
    expect(json.files.map((f: { app: string; state: string }) => [f.app, f.state])).toEqual([
      ['blog', 'live'],
    ]);
  });

  it('poll takes a field with slashes; sums live files, or with --all the totals that survive restarts', async () => {
    const once = async (...args: string[]) => {
      const result = await run(['poll', `${ROUTE}`, ...args, '-c', '1', dir]);
      expect(result.code).toBe(0);
      return result.stdout.split('\n');
    };
    // The field name is wider than 80 columns: a legend, then numbered columns.
    expect(await once()).toEqual([`[1] ${ROUTE}`, '         [1]', '           8', '']);
    expect((await once('--app', 'shop'))[2]!.trim()).toBe('3');
    expect((await once('--app', 'shop', '--all'))[2]!.trim()).toBe('123');
  });

  it.runIf(process.platform === 'linux')(
    'clean removes a file whose PID now belongs to a later process',
    async () => {
      const reused = tempDirectory('cli-reuse');
      writeProcessFile(reused, 'mmstats-old-1.mmstats', {
        pid: process.pid,
        start: '1',
        app: 'shop',
        jobs: 1,
      });
      writeProcessFile(reused, 'mmstats-now-1.mmstats', { ...live, app: 'shop', jobs: 1 });
      const result = await run(['clean', reused]);
      expect(result.stdout).toBe(
        `removed ${join(reused, 'mmstats-old-1.mmstats')} (pid ${process.pid} is not running)\nremoved 1 file(s), 1 alive\n`,
      );
      rmSync(reused, { recursive: true });
    },
  );
});
