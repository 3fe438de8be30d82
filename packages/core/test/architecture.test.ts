import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layers of packages/core/src, lowest first. A file may import from its own folder or from a
 * folder of a lower layer, never upwards or sideways; type imports count too. Entry files (the
 * loose files at the top) sit above everything except `errors.ts`, which sits below everything.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts'],
  ['file-format', 'exposition'],
  ['storage'],
  ['metrics', 'typed-fields'],
  ['file-reader', 'process-metrics'],
  ['http'],
  // The exporter (`mmstats serve`) answers scrapes with http's endpoint: auth and negotiation.
  ['cli'],
  ['index.ts', 'http.ts', 'files.ts', 'fields.ts'],
];

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

type Graph = Map<string, string[]>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative module a file names: static imports and exports, `import type`, `import('…')`. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)'(\.\.?\/[^']+)'/g)];
  return specifiers.map((m) => relative(SRC, resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts'))));
}

function readGraph(): Graph {
  return new Map(sourceFiles(SRC).map((file) => [relative(SRC, file), importsOf(file)]));
}

/** The room a file lives in: its top folder, or its own name for a loose file. */
const roomOf = (path: string) => path.split('/')[0]!;

function layerOf(room: string): number {
  const layer = LAYERS.findIndex((rooms) => rooms.includes(room));
  if (layer < 0) throw new Error(`src/${room} is in no layer: add it to LAYERS in architecture.test.ts`);
  return layer;
}

function directionErrors(graph: Graph): string[] {
  const errors: string[] = [];
  for (const [file, imports] of graph) {
    for (const target of imports) {
      const from = roomOf(file);
      const to = roomOf(target);
      if (from !== to && layerOf(to) >= layerOf(from)) errors.push(`${file} imports ${target}`);
    }
  }
  return errors;
}

function cycles(graph: Graph): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...path.slice(path.indexOf(file)), file]);
      return;
    }
    state.set(file, 'open');
    path.push(file);
    for (const target of graph.get(file) ?? []) visit(target);
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file);
  return found;
}

describe('the layout of packages/core/src', () => {
  const graph = readGraph();

  it('reads every file and its imports', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('index.ts')!.length).toBeGreaterThan(5);
    for (const imports of graph.values())
      for (const target of imports) expect(graph.has(target), `${target} exists`).toBe(true);
  });

  it('imports only downwards, folder by folder', () => {
    expect(directionErrors(graph)).toEqual([]);
  });

  it('has no import cycle, type imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('catches an upward import and a cycle when there is one', () => {
    const bad: Graph = new Map([
      ['metrics/counter.ts', ['http/options.ts']],
      ['http/options.ts', ['metrics/counter.ts']],
    ]);
    expect(directionErrors(bad)).toEqual(['metrics/counter.ts imports http/options.ts']);
    expect(cycles(bad)).toEqual([['metrics/counter.ts', 'http/options.ts', 'metrics/counter.ts']]);
  });
});
