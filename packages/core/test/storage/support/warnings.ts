import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Collects the MMSTATS_STORAGE warnings emitted while `run` runs (they arrive on a later tick). */
export async function storageWarnings(run: () => void | Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const listener = (warning: Error & { code?: string }) => {
    if (warning.code === 'MMSTATS_STORAGE') seen.push(warning.message);
  };
  process.on('warning', listener);
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    process.off('warning', listener);
  }
  return seen;
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
