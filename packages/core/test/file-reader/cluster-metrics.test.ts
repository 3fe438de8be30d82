import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMmstatsFiles } from '../../src/file-reader/discover.js';

describe('globs over mmstats files', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmstats-siblings-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

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
});
