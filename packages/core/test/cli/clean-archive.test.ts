import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderExposition } from '../../src/exposition/render.js';
import { foldIntoArchive } from '../../src/file-reader/archive.js';
import { appFamilies } from '../../src/file-reader/cluster-metrics.js';
import { tempDirectory } from '../lifecycle/support/app.js';
import { DEAD_PID, writeProcessFile } from '../lifecycle/support/dead-files.js';
import { run } from './support/run.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const jobs = (dir: string, app: string) =>
  /^jobs_total\{queue="mail"\} (\d+)$/m.exec(
    renderExposition(appFamilies(dir, app, { fold: false }), 'text'),
  )?.[1];

describe('mmstats clean and the archive', () => {
  it('folds the dead files of an app that keeps an archive, removes the others', async () => {
    const dir = tempDirectory('clean-archive');
    dirs.push(dir);
    // A cluster app: a worker that exited was folded already, so the app has an archive.
    writeProcessFile(dir, 'mmstats-shop-1.mmstats', { pid: DEAD_PID, app: 'shop', jobs: 100 });
    foldIntoArchive(dir, 'shop');
    const killed = writeProcessFile(dir, 'mmstats-shop-2.mmstats', {
      pid: DEAD_PID + 1,
      app: 'shop',
      jobs: 10,
    });
    // A single process killed with kill -9: no archive, so its file is removed.
    const single = writeProcessFile(dir, 'mmstats-tool-1.mmstats', {
      pid: DEAD_PID + 2,
      app: 'tool',
      jobs: 7,
    });
    const archive = readdirSync(dir).find((name) => name.startsWith('mmstats-archive-'))!;

    const dry = await run(['clean', '--dry-run', dir]);
    expect(dry.stdout).toBe(
      `would remove ${single} (pid ${DEAD_PID + 2} is not running)\n` +
        `would fold ${killed} into ${join(dir, archive)} (pid ${DEAD_PID + 1} is not running)\n` +
        'would remove 1 file(s), would fold 1 into archives, 0 alive\n',
    );
    expect(existsSync(killed)).toBe(true);
    expect(jobs(dir, 'shop')).toBe('110');

    const result = await run(['clean', dir]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('removed 1 file(s), folded 1 into archives, 0 alive\n');
    expect([existsSync(killed), existsSync(single)]).toEqual([false, false]);
    // Nothing the killed worker counted is lost: the app's total is the same.
    expect(jobs(dir, 'shop')).toBe('110');
    expect(readdirSync(dir).filter((name) => name.endsWith('.mmstats'))).toEqual([archive]);
  });
});
