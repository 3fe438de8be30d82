import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDirectories } from './support/warnings.js';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const dirs = tempDirectories();
afterEach(() => dirs.cleanup());

/** Runs native/install.cjs from a copy of the package files, so the real build/ stays untouched. */
function install(env: NodeJS.ProcessEnv) {
  const dir = dirs.make();
  mkdirSync(join(dir, 'native'));
  for (const file of ['native/install.cjs', 'native/mmap.c', 'binding.gyp', 'package.json'])
    copyFileSync(join(packageDir, file), join(dir, file));
  const result = spawnSync(process.execPath, [join(dir, 'native', 'install.cjs')], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { ...result, dir };
}

describe('native/install.cjs', () => {
  it('MMSTATS_SKIP_NATIVE=1 skips the build and says what that means', () => {
    const result = install({ MMSTATS_SKIP_NATIVE: '1', npm_config_node_gyp: '/nonexistent/node-gyp.js' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('MMSTATS_SKIP_NATIVE=1');
    expect(result.stderr).toContain('fallback');
    expect(existsSync(join(result.dir, 'build'))).toBe(false);
  });

  it('a failing build never fails the install', () => {
    const result = install({ MMSTATS_SKIP_NATIVE: '', npm_config_node_gyp: '/nonexistent/node-gyp.js' });
    expect(result.status).toBe(0);
    expect(result.stderr).toContain('the optional mmap binding was not built');
    expect(result.stderr).toContain('npm rebuild @mmstats/core');
  });
});
