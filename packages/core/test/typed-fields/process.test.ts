import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// esbuild comes with tsup: Node 20 cannot run the TypeScript sources by itself.
import { buildSync } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { mmapBinding } from '../../src/storage/mmap.js';

const src = fileURLToPath(new URL('../../src/', import.meta.url));
const noMmap = mmapBinding() === null && process.env.CI !== 'true';

/** A writer process: makes a stats object, writes, says where, and exits cleanly on SIGTERM. */
const WRITER = `
import { createMmStats } from ${JSON.stringify(join(src, 'typed-fields', 'stats.ts'))};
import { field } from ${JSON.stringify(join(src, 'typed-fields', 'field.ts'))};
const job = JSON.parse(process.argv[2]);
const stats = createMmStats({
  directory: job.directory,
  backend: job.backend,
  removeOnExit: job.removeOnExit,
  labelPrefix: 'child.',
  fields: { hits: field.counter(), temp: field.double(), name: field.string({ size: 8 }), up: field.bool() },
});
stats.hits.incr(41);
stats.hits.incr();
stats.temp = -3.5;
stats.name = 'writer';
stats.up = true;
process.on('SIGTERM', () => process.exit(0));
console.log(JSON.stringify({ path: stats.path, backend: stats.backend }));
setInterval(() => {}, 1000);
`;

let scripts: string;
let writer: string;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(() => {
  scripts = mkdtempSync(join(tmpdir(), 'mmstats-seed-child-'));
  writeFileSync(join(scripts, 'writer.ts'), WRITER);
  writer = join(scripts, 'writer.mjs');
  buildSync({
    entryPoints: [join(scripts, 'writer.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: writer,
    logLevel: 'silent',
    // The native binding is looked up next to src/storage/mmap.ts.
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(join(src, 'storage', 'mmap.ts')).href) },
  });
});
afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => rmSync(scripts, { recursive: true, force: true }));

/** Starts the writer; resolves with what it said, or rejects after 10 s or when it dies first. */
function startWriter(job: object): Promise<{ child: ChildProcess; said: { path: string; backend: string } }> {
  const child = spawn(process.execPath, [writer, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the writer said nothing in 10 s: ${err}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve({ child, said: JSON.parse(out.slice(0, out.indexOf('\n'))) });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the writer exited (${code}) first: ${err}`));
    });
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

function valuesIn(path: string): Map<string, unknown> {
  const file = readMmstatsFile(path);
  if (!file.ok) throw new Error(file.reason);
  return new Map(file.fields.map((f) => [f.label, f.value]));
}

describe.each([
  { backend: 'mmap', option: 'auto', skip: noMmap },
  { backend: 'fallback', option: 'fallback', skip: false },
] as const)(
  'values written by one process, read by another: $backend backend',
  ({ backend, option, skip }) => {
    const directory = () => {
      const dir = mkdtempSync(join(tmpdir(), 'mmstats-seed-proc-'));
      dirs.push(dir);
      return dir;
    };

    it.skipIf(skip)(
      'this process reads what the writer wrote while it runs; its orderly exit removes the file',
      async () => {
        const { child, said } = await startWriter({ directory: directory(), backend: option });
        expect(said.backend).toBe(backend);
        const values = valuesIn(said.path);
        expect(values.get('child.hits')).toBe(42);
        expect(values.get('child.temp')).toBe(-3.5);
        expect(values.get('child.name')).toBe('writer');
        expect(values.get('child.up')).toBe(true);
        expect(values.get('child.sys.pid')).toBe(child.pid);
        child.kill('SIGTERM');
        expect(await exited(child)).toBe(0);
        expect(existsSync(said.path)).toBe(false);
      },
    );

    it.skipIf(skip)(
      'with removeOnExit: false the file outlives the writer with its last values',
      async () => {
        const { child, said } = await startWriter({
          directory: directory(),
          backend: option,
          removeOnExit: false,
        });
        child.kill('SIGTERM');
        expect(await exited(child)).toBe(0);
        expect(valuesIn(said.path).get('child.hits')).toBe(42);
      },
    );
  },
);
