import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from '../../src/index.js';
import { bundleWriter, type Child, message, runWriter, stop } from './support/child.js';
import { parseFile, valuesOf } from './support/file-parser.js';
import { mountTmpfs, mountUnavailable, unmount } from './support/mounts.js';
import { storageWarnings, tempDirectories } from './support/warnings.js';

const dirs = tempDirectories();
const mounts: string[] = [];
const children: Child[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) await stop(child);
  for (const dir of mounts.splice(0)) unmount(dir);
  dirs.cleanup();
});

const asRoot = process.getuid?.() === 0;
const noMount = mountUnavailable();

function mounted(options: string): string {
  const dir = mountTmpfs(options);
  mounts.push(dir);
  return dir;
}

/** Registers a counter and a histogram, records, and returns what /metrics shows. */
async function recordAndRender(registry: Registry): Promise<string> {
  const counter = new Counter({ name: 'ok_total', help: 'o', labelNames: ['k'], registers: [registry] });
  const histogram = new Histogram({ name: 'ok_seconds', help: 'o', buckets: [1], registers: [registry] });
  for (let i = 0; i < 50; i++) counter.inc({ k: String(i % 5) });
  histogram.observe(0.5);
  registry.sync();
  return registry.metrics();
}

function expectCorrect(text: string): void {
  for (let k = 0; k < 5; k++) expect(text).toContain(`ok_total{k="${k}"} 10`);
  expect(text).toContain('ok_seconds_count 1');
}

describe.each(['mmap', 'fallback'] as const)(
  'storage failures fall back to memory, %s backend',
  (backend) => {
    it('a chosen directory that does not exist (a path under a regular file): one warning, values correct', async () => {
      const parent = join(dirs.make(), 'a-file');
      writeFileSync(parent, '');
      const directory = join(parent, 'metrics');
      let text = '';
      const registry = new Registry({ storage: { directory, backend } });
      const warnings = await storageWarnings(async () => {
        text = await recordAndRender(registry);
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(directory);
      expect(warnings[0]).toContain('ENOTDIR');
      expect(warnings[0]).toContain('Fix:');
      expect(registry.storageBackend).toBe('memory');
      expect(registry.storageFiles).toEqual([]);
      expectCorrect(text);
      registry.close();
    });

    it.skipIf(asRoot && noMount !== undefined)(
      `a read-only directory (${asRoot ? 'a tmpfs mounted ro: EROFS' : 'chmod 0500: EACCES'}): one warning, values correct`,
      async () => {
        const directory = asRoot ? mounted('ro,size=64k') : dirs.make();
        if (!asRoot) chmodSync(directory, 0o500);
        let text = '';
        const registry = new Registry({ storage: { directory, backend } });
        const warnings = await storageWarnings(async () => {
          text = await recordAndRender(registry);
        });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(directory);
        expect(warnings[0]).toMatch(asRoot ? /EROFS/ : /EACCES/);
        expect(registry.storageBackend).toBe('memory');
        expect(readdirSync(directory)).toEqual([]);
        expectCorrect(text);
        registry.close();
      },
    );

    it.skipIf(noMount !== undefined)(
      'a disk that fills up mid-life (a 96 KiB tmpfs: real ENOSPC on the second file): old series keep updating their file, new ones go to memory, one warning',
      async () => {
        const directory = mounted('size=96k,mode=0700');
        const registry = new Registry({ storage: { directory, backend, segmentSize: 64 * 1024 } });
        const counter = new Counter({
          name: 'fill_total',
          help: 'f',
          labelNames: ['i'],
          registers: [registry],
        });
        const early = counter.labels('early');
        let i = 0;
        const warnings = await storageWarnings(() => {
          // Enough series to fill the first file; the second cannot be made.
          while (registry.storageBackend !== 'memory' && i < 10_000) counter.inc({ i: String(i++) });
          for (let j = 0; j < 100; j++) counter.inc({ i: `late${j}` });
        });
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatch(/ENOSPC|no space/i);
        expect(warnings[0]).toContain(directory);
        expect(registry.storageFiles).toHaveLength(1);
        early.inc(5);
        registry.sync();
        const values = valuesOf(parseFile(registry.storageFiles[0]!));
        expect(values.get('fill_total{i="early"}')).toBe(5);
        expect(values.get('fill_total{i="0"}')).toBe(1);
        expect(values.has('fill_total{i="late0"}')).toBe(false);
        const text = await registry.metrics();
        expect(text).toContain('fill_total{i="early"} 5');
        expect(text).toContain('fill_total{i="late99"} 1');
        expect(text).toContain(`fill_total{i="${i - 1}"} 1`);
        // No temporary file is left behind by the failed attempt.
        expect(readdirSync(directory)).toEqual([registry.storageFiles[0]!.slice(directory.length + 1)]);
        registry.close();
      },
    );
  },
);

describe('a write the kernel refuses, without root', () => {
  let writer = '';
  const scripts = tempDirectories();
  beforeAll(() => {
    writer = bundleWriter(scripts.make());
  });
  afterAll(() => scripts.cleanup());

  it('file size limit (ulimit -f, EFBIG) standing in for a full disk: one warning, values correct', async () => {
    const directory = dirs.make();
    // 8 blocks: far below one 64 KiB file. Node ignores SIGXFSZ, so the write fails with EFBIG.
    const child = runWriter(
      writer,
      { task: 'warn', directory, backend: 'fallback' },
      { shell: 'ulimit -f 8' },
    );
    children.push(child);
    const said = await message(child, (m) => Array.isArray(m.warnings));
    const warnings = said.warnings as string[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/EFBIG|too large/i);
    expect(said.backend).toBe('memory');
    expect(said.text).toContain('work_total{kind="a"} 41');
    expect(said.text).toContain('work_total{kind="b"} 1');
    expect(said.text).toContain('took_seconds_count 2');
    expect(readdirSync(directory)).toEqual([]);
  });
});
