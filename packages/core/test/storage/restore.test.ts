import { existsSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderMmstatsFiles } from '../../src/files.js';
import { Counter, Histogram, Registry } from '../../src/index.js';
import { storageWarnings, tempDirectories } from './support/warnings.js';

/**
 * A file removed under a running writer (a tmp cleaner, a redeploy that deletes the directory)
 * is written again with every value, and what is recorded later reaches the new file: readers
 * beside the app (the CLI, `mmstats serve`, the cluster view of other workers) see it again.
 */
const dirs = tempDirectories();
const registries: Registry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  dirs.cleanup();
});

const total = (text: string) => Number(/^jobs_total (\S+)$/m.exec(text)?.[1]);
const count = (text: string) => Number(/^job_seconds_count (\S+)$/m.exec(text)?.[1]);

describe('a file removed under its writer comes back', () => {
  it.each([
    ['mmap', 'the file alone'],
    ['mmap', 'the whole directory'],
    ['fallback', 'the file alone'],
    ['fallback', 'the whole directory'],
  ] as const)('%s, %s removed: written again, later values reach the new file', async (backend, what) => {
    const directory = dirs.make();
    const registry = new Registry({ storage: { directory, backend, interval: 20 } });
    registries.push(registry);
    expect(registry.storageBackend).toBe(backend);
    const jobs = new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] });
    const took = new Histogram({ name: 'job_seconds', help: 'Took.', buckets: [1], registers: [registry] });
    jobs.inc(3);
    took.observe(0.5);
    registry.sync();
    const [file] = registry.storageFiles;
    const before = statSync(file!).ino;
    const warnings = await storageWarnings(async () => {
      if (what === 'the file alone') unlinkSync(file!);
      else rmSync(directory, { recursive: true, force: true });
      jobs.inc(4);
      took.observe(2);
      // The store's interval timer (histograms publish on it) notices and writes the file again.
      await vi.waitFor(() => expect(existsSync(file!)).toBe(true), { timeout: 5000, interval: 10 });
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('was removed or replaced');
    expect(statSync(file!).ino).not.toBe(before);
    jobs.inc(5);
    took.observe(0.25);
    registry.sync();
    const files = renderMmstatsFiles(directory);
    expect(total(files)).toBe(12);
    expect(count(files)).toBe(3);
    // Live again, and the loss stays counted.
    const own = (await registry.metrics()) as string;
    expect(own).toMatch(/^mmstats_storage_file_live 1$/m);
    expect(own).toMatch(/^mmstats_storage_errors_total [1-9]/m);
  });

  it('a counter-only registry (no interval timer) writes it again at its next scrape', async () => {
    const directory = dirs.make();
    const registry = new Registry({ storage: { directory, backend: 'mmap' } });
    registries.push(registry);
    const jobs = new Counter({ name: 'jobs_total', help: 'Jobs.', registers: [registry] });
    jobs.inc(2);
    const [file] = registry.storageFiles;
    await storageWarnings(async () => {
      rmSync(directory, { recursive: true, force: true });
      await registry.metrics();
    });
    expect(existsSync(file!)).toBe(true);
    jobs.inc(1);
    expect(total(renderMmstatsFiles(directory))).toBe(3);
  });
});
