import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { siblingPattern } from '../../src/file-reader/cluster-metrics.js';
import { findMmstatsFiles } from '../../src/file-reader/discover.js';

describe('siblingPattern: the files of every process of this program', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmstats-siblings-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('matches the other PIDs of the same command, not other commands, even where names hold glob characters', () => {
    const dir = join(root, 'odd [dir]*?');
    mkdirSync(dir);
    const files = [
      'mmstats-web[1]-100-100.mmstats',
      'mmstats-web[1]-200-200.mmstats',
      'mmstats-web[1]-200-201-2.mmstats',
      'mmstats-web1-300-300.mmstats',
      'mmstats-worker-400-400.mmstats',
    ];
    for (const file of files) writeFileSync(join(dir, file), '');
    const pattern = siblingPattern(join(dir, files[0]!), 100);
    const found = findMmstatsFiles(pattern).paths.map((path) => path.slice(dir.length + 1));
    expect(found).toEqual(files.slice(0, 3));
  });

  it('reads bracket sets as Python glob does, `]` and `^` included', () => {
    const dir = join(root, 'sets');
    mkdirSync(dir);
    for (const file of [']', '^', 'a', '!']) writeFileSync(join(dir, file), '');
    const names = (pattern: string) =>
      findMmstatsFiles(join(dir, pattern)).paths.map((path) => path.slice(dir.length + 1));
    expect(names('[]]')).toEqual([']']);
    expect(names('[!]]')).toEqual(['!', '^', 'a']);
    expect(names('[^]')).toEqual(['^']);
    expect(names('[!a]')).toEqual(['!', ']', '^']);
  });

  it('takes the whole directory when the file name has no PID part (a custom MMSTATS_FILES)', () => {
    expect(siblingPattern('/var/run/app/metrics.mmstats', 100)).toBe('/var/run/app/*.mmstats');
  });
});
