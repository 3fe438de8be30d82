import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The public surface every adapter has, pinned: changing it is a decision, made here. */
const EXPORTS = ['default', 'mmstats'];

type Adapter = { default: unknown; mmstats: unknown };

/**
 * Tests that an adapter's ESM and CommonJS builds export exactly `default` and `mmstats`, the same
 * function. `testFile` is the calling test's `import.meta.url` (its package's `test/` folder).
 * Returns the path of a built file, failing with how to build when it is missing.
 */
export function describeAdapterExports(packageName: string, testFile: string): (file: string) => string {
  const packageDir = join(dirname(fileURLToPath(testFile)), '..');
  const built = (file: string) => {
    const path = join(packageDir, 'dist', file);
    expect(existsSync(path), `${path} is missing: build first (cd ${packageDir} && npx tsup)`).toBe(true);
    return path;
  };

  describe(`export surface of ${packageName}`, () => {
    it('ESM (import) exports exactly the pinned names; default is mmstats', async () => {
      const esm = (await import(pathToFileURL(built('index.js')).href)) as Adapter;
      expect(Object.keys(esm).sort()).toEqual(EXPORTS);
      expect(esm.default).toBe(esm.mmstats);
      expect(typeof esm.mmstats).toBe('function');
    });

    it('CommonJS (require of dist/index.cjs) exports the same names', () => {
      const cjs = createRequire(testFile)(built('index.cjs')) as Adapter;
      expect(Object.keys(cjs).sort()).toEqual(EXPORTS);
      expect(cjs.default).toBe(cjs.mmstats);
      expect(typeof cjs.mmstats).toBe('function');
    });
  });
  return built;
}
