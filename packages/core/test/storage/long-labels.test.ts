import { afterEach, describe, expect, it } from 'vitest';
import { readMmstatsDirectory, renderMmstatsFiles } from '../../src/files.js';
import { Counter, clusterMetrics, Registry } from '../../src/index.js';
import { tempDirectories } from './support/warnings.js';

/**
 * Issue 19, "label sets over 64 KiB are cut to 1,000 characters in the file": the file view must
 * agree with the in-process view for every series, or leave the series out with a counted reason.
 */
const dirs = tempDirectories();
const registries: Registry[] = [];
afterEach(() => {
  for (const registry of registries.splice(0)) registry.close();
  dirs.cleanup();
});

const series = (text: string) => text.split('\n').filter((line) => line.startsWith('big_total'));

describe('label sets over 64 KiB', () => {
  it.each(['mmap', 'fallback'] as const)(
    'never invented or merged in the file; the cluster view agrees with /metrics (%s)',
    async (backend) => {
      const directory = dirs.make();
      const registry = new Registry({ storage: { directory, backend, removeOnExit: false } });
      registries.push(registry);
      const counter = new Counter({ name: 'big_total', help: 'b', labelNames: ['k'], registers: [registry] });
      const shared = 'x'.repeat(70 * 1024);
      counter.inc({ k: `${shared}-one` }, 1);
      counter.inc({ k: `${shared}-two` }, 2);
      counter.inc({ k: 'short' }, 3);
      registry.sync();
      const inProcess = (await registry.metrics()) as string;
      expect(series(inProcess)).toHaveLength(3);
      const cluster = await clusterMetrics(registry).metrics();
      expect(series(cluster).sort()).toEqual(series(inProcess).sort());
      // The file holds the short series only: nothing cut short, nothing that would merge.
      const { files } = readMmstatsDirectory(directory);
      const labels = files.flatMap((file) => file.fields.map((field) => field.label));
      expect(labels).toContain('big_total{k="short"}');
      expect(labels.some((label) => label.includes('xxxxxxxxxx'))).toBe(false);
      const fileView = renderMmstatsFiles(directory);
      expect(fileView).not.toMatch(/# TYPE \S{200,} untyped/);
      expect(series(fileView)).toEqual(['big_total{k="short"} 3']);
      // The reason is counted where an alert can see it.
      expect(inProcess).toContain('mmstats_storage_fields_memory_only{reason="label_too_long"} 2');
    },
  );
});
