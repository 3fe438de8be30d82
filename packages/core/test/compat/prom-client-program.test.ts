import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));
const coreEntry = join(here, '..', '..', 'dist', 'index.cjs');
const program = readFileSync(join(here, 'fixtures', 'prom-client-program.cjs'), 'utf8');

interface Output {
  text: string;
  openMetrics: string;
  json: {
    name: string;
    help: string;
    type: string;
    values: { labels: object; value: number; metricName?: string }[];
  }[];
}

/** Runs the program with `require('prom-client')` pointing at `entry`; the only change made to it. */
function run(directory: string, name: string, entry: string): Output {
  const source = program.replace("require('prom-client')", `require(${JSON.stringify(entry)})`);
  expect(source).not.toBe(program);
  const file = join(directory, `${name}.cjs`);
  writeFileSync(file, source);
  const stdout = execFileSync(process.execPath, [file], {
    encoding: 'utf8',
    env: { ...process.env, MMSTATS_STORAGE: 'memory' },
  });
  return JSON.parse(stdout) as Output;
}

/**
 * Only what "Differences from prom-client" in the core README lists:
 * 1. prom-client separates text-format families with a blank line;
 * 2. `le` and `quantile` values are in OpenMetrics' canonical form here (`"1.0"`, prom-client `"1"`);
 * 3. the order of labels inside a sample (ours: the series' labels, then `le`/`quantile`, then
 *    default labels; prom-client: `le`/`quantile` first): labels are sorted before comparing.
 */
function normalise(exposition: string): string {
  return exposition
    .replace(/\n\n/g, '\n')
    .split('\n')
    .map((line) => {
      const m = /^([^{\s]+)\{(.*)\}( .*)$/.exec(line);
      if (m === null) return line;
      const pairs = [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => {
        const canonical = (k === 'le' || k === 'quantile') && /^-?\d+\.0$/.test(v!) ? v!.slice(0, -2) : v;
        return `${k}="${canonical}"`;
      });
      return `${m[1]}{${pairs.sort().join(',')}}${m[3]}`;
    })
    .join('\n');
}

describe.skipIf(!existsSync(coreEntry))('a program written for prom-client, run under both libraries', () => {
  const directory = mkdtempSync(join(tmpdir(), 'mmstats-compat-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const require = createRequire(import.meta.url);
  const theirs = run(directory, 'theirs', require.resolve('prom-client'));
  const ours = run(directory, 'ours', coreEntry);

  it('prints the same text exposition, up to the listed differences', () => {
    expect(ours.text).toContain(
      'http_requests_total{method="GET",route="/users/:id",code="200",app="shop"} 3',
    );
    expect(normalise(ours.text)).toBe(normalise(theirs.text));
  });

  it('prints the same OpenMetrics exposition, up to the listed differences', () => {
    expect(ours.openMetrics.endsWith('# EOF\n')).toBe(true);
    expect(normalise(ours.openMetrics)).toBe(normalise(theirs.openMetrics));
  });

  it('gives the same getMetricsAsJSON(), label values as strings (a listed difference)', () => {
    const strings = (labels: object) =>
      Object.fromEntries(
        Object.entries(labels).map(([k, v]) => [
          k,
          typeof v === 'number' && k !== 'le' && k !== 'quantile' ? String(v) : v,
        ]),
      );
    const shape = (json: Output['json']) =>
      json.map(({ name, help, type, values }) => ({
        name,
        help,
        type,
        values: values.map(({ labels, value, metricName }) => ({
          labels: strings(labels),
          value,
          metricName,
        })),
      }));
    expect(shape(ours.json)).toEqual(shape(theirs.json));
  });

  it('normalising leaves real differences visible', () => {
    expect(normalise('x{le="1.0"} 1')).toBe('x{le="1"} 1');
    expect(normalise('x{b="2",a="1"} 1')).not.toBe(normalise('x{b="2",a="2"} 1'));
    expect(normalise(ours.text.replace(' 3\n', ' 4\n'))).not.toBe(normalise(theirs.text));
  });
});
