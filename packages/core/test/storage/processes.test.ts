import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundleWriter, type Child, message, runWriter, stop, type WriterOptions } from './support/child.js';
import { parseFile, readStableDouble, valuesOf, withFile } from './support/file-parser.js';
import { tempDirectories } from './support/warnings.js';

const dirs = tempDirectories();
const scripts = tempDirectories();
let writer = '';
const children: Child[] = [];

beforeAll(() => {
  writer = bundleWriter(scripts.make());
});
afterEach(async () => {
  for (const child of children.splice(0)) await stop(child);
  dirs.cleanup();
});
afterAll(() => scripts.cleanup());

function start(job: object, options: WriterOptions = {}): Child {
  const child = runWriter(writer, job, options);
  children.push(child);
  return child;
}

describe.each(['mmap', 'fallback'] as const)('mmstats files across processes, %s backend', (backend) => {
  it("keeps a crashed (kill -9) writer's values readable, histograms included once an interval passed", async () => {
    const directory = dirs.make();
    const child = start({ task: 'crash', directory, backend });
    const { signal } = await child.exited;
    expect(signal).toBe('SIGKILL');
    const said = await message(child, (m) => Array.isArray(m.files));
    expect(said.backend).toBe(backend);
    const files = readdirSync(directory);
    expect(files).toHaveLength(1);
    const values = valuesOf(parseFile(join(directory, files[0]!)));
    expect(values.get('work_total{kind="a"}')).toBe(41);
    expect(values.get('level')).toBe(2.5);
    expect(values.get('took_seconds_count')).toBe(2);
    expect(values.get('took_seconds_bucket{le="1.0"}')).toBe(1);
    expect(values.get('sys.pid')).toBe(child.process.pid);
  });

  it('publishes and flushes at exit, then removes the file (removeOnExit default)', async () => {
    const directory = dirs.make();
    const child = start({ task: 'exit', directory, backend });
    const { code } = await child.exited;
    expect(code).toBe(0);
    const said = await message(child, (m) => Array.isArray(m.files));
    expect((said.files as string[]).length).toBe(1);
    expect(existsSync((said.files as string[])[0]!)).toBe(false);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('with removeOnExit: false the file outlives the process with its final values', async () => {
    const directory = dirs.make();
    const child = start({ task: 'exit', directory, backend, removeOnExit: false });
    expect((await child.exited).code).toBe(0);
    const files = readdirSync(directory);
    expect(files).toHaveLength(1);
    const values = valuesOf(parseFile(join(directory, files[0]!)));
    expect(values.get('work_total{kind="a"}')).toBe(41);
    expect(values.get('took_seconds_count')).toBe(2);
    expect(values.get('took_seconds_sum')).toBe(3.25);
  });

  it('keeps the file, with its final values, when the process dies of an uncaught exception', async () => {
    const directory = dirs.make();
    const child = start({ task: 'throw', directory, backend });
    expect((await child.exited).code).toBe(1);
    const files = readdirSync(directory);
    expect(files).toHaveLength(1);
    const values = valuesOf(parseFile(join(directory, files[0]!)));
    expect(values.get('work_total{kind="a"}')).toBe(41);
    expect(values.get('took_seconds_count')).toBe(2);
  });

  it('a registry that is dropped and garbage-collected closes and removes its file, before exit', async () => {
    const directory = dirs.make();
    const child = start({ task: 'gc', directory, backend }, { nodeArgs: ['--expose-gc'] });
    const said = await message(child, (m) => Array.isArray(m.kept));
    const [lost] = said.files as string[];
    const [kept] = said.kept as string[];
    expect(lost).toBeDefined();
    expect(child.process.exitCode).toBe(null);
    expect(readdirSync(directory)).toEqual([kept!.slice(directory.length + 1)]);
  });

  it('another process reads a counter rising under load: monotonic, never torn', async () => {
    const directory = dirs.make();
    const child = start({ task: 'load', directory, backend, durationMs: 700 });
    const ready = await message(child, (m) => m.ready === true);
    expect(ready.backend).toBe(backend);
    const path = (ready.files as string[])[0]!;
    // The fallback shows a new series at its next flush (10 ms here).
    const deadline = Date.now() + 5000;
    let field = parseFile(path).fields.find((f) => f.label === 'work_total{kind="hot"}');
    while (field === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      field = parseFile(path).fields.find((f) => f.label === 'work_total{kind="hot"}');
    }
    if (field === undefined) throw new Error('the hot series never appeared in the file');
    const seen: number[] = [];
    let unsettled = 0;
    // The file is unlinked when the writer exits; our descriptor keeps it readable.
    await withFile(path, async (fd) => {
      while (child.process.exitCode === null) {
        for (let i = 0; i < 500; i++) {
          const value = readStableDouble(fd, field.wbOffset);
          if (value === undefined) unsettled++;
          else seen.push(value);
        }
        await new Promise((r) => setImmediate(r));
      }
    });
    const done = await message(child, (m) => m.done === true);
    const total = done.total as number;
    expect(seen.length).toBeGreaterThan(100);
    const torn = seen.findIndex((v, i) => !Number.isInteger(v) || v < 0 || (i > 0 && v < seen[i - 1]!));
    expect(torn === -1 ? 'none' : `read ${torn}: ${seen[torn - 1]} then ${seen[torn]}`).toBe('none');
    expect(seen[seen.length - 1]!).toBeLessThanOrEqual(total);
    expect(new Set(seen).size).toBeGreaterThan(3);
    // Under a writer this fast a few double reads may not settle; they are reported, never accepted.
    expect(unsettled).toBeLessThan(seen.length);
  });
});

describe('the default registry, without any storage option', () => {
  it.each([
    ['$MMSTATS_PATH', true],
    ['a private mmstats-<uid> directory under the OS temp dir', false],
  ])('writes mmstats-{CMD}-{PID}-{TID}.mmstats into %s, removed at exit', async (_where, viaEnv) => {
    const base = dirs.make();
    const { MMSTATS_PATH: _drop, ...env } = process.env;
    const expected = viaEnv ? base : join(base, `mmstats-${process.getuid!()}`);
    const child = start(
      { task: 'default', directory: dirs.make(), backend: 'fallback' },
      { env: viaEnv ? { ...env, MMSTATS_PATH: base } : { ...env, TMPDIR: base } },
    );
    const said = await message(child, (m) => Array.isArray(m.files));
    const files = said.files as string[];
    expect(files).toHaveLength(1);
    const pid = child.process.pid!;
    // The writer's own registry made a file first, so this one may carry a number (-2).
    expect(files[0]).toMatch(new RegExp(`^${expected}/mmstats-writer-${pid}-\\d+(-\\d+)?\\.mmstats$`));
    if (!viaEnv) expect(statSync(expected).mode & 0o777).toBe(0o700);
    expect(valuesOf(parseFile(files[0]!)).get('plain_total')).toBe(6);
    child.process.kill('SIGUSR2');
    expect((await child.exited).code).toBe(0);
    expect(existsSync(files[0]!)).toBe(false);
  });
});

describe('backend "mmap" without the native binding', () => {
  it('uses the fallback with one warning that says how to get mmap', async () => {
    const directory = dirs.make();
    const child = start(
      { task: 'warn', directory, backend: 'mmap' },
      { env: { ...process.env, MMSTATS_BACKEND: 'fallback' } },
    );
    const said = await message(child, (m) => Array.isArray(m.warnings));
    expect(said.backend).toBe('fallback');
    const warnings = said.warnings as string[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('disabled by MMSTATS_BACKEND=fallback');
    expect(warnings[0]).toContain('npm rebuild @mmstats/core');
    expect(said.text).toContain('work_total{kind="a"} 41');
  });
});
