import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { warningsWithCode } from '../../support/warnings.js';

/** Collects the MMSTATS_STORAGE warnings emitted while `run` runs. */
export function storageWarnings(run: () => void | Promise<void>): Promise<string[]> {
  return warningsWithCode('MMSTATS_STORAGE', run);
}

/** mkdtemp directories, removed by `cleanup()` (call it in afterEach/afterAll). */
export function tempDirectories(): { make: () => string; cleanup: () => void } {
  const made: string[] = [];
  return {
    make() {
      const dir = mkdtempSync(join(tmpdir(), 'mmstats-test-'));
      made.push(dir);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
