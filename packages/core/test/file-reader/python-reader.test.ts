import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolAvailable } from '@mmstats/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MmstatsField, readMmstatsFile } from '../../src/file-reader/reader.js';
import { Counter, Gauge, Histogram } from '../../src/index.js';
import {
  buffered,
  image,
  processImage,
  record,
  unbuffered,
  WORKED_EXAMPLE,
  writeImage,
} from '../support/mmstats-images.js';

const SCRIPT = fileURLToPath(new URL('../support/python/mmstats_reader.py', import.meta.url));

interface PythonResult {
  path: string;
  ok: boolean;
  fields?: Omit<MmstatsField, 'unstable'>[];
  reason?: string;
}

/** How both readers' values are compared: JSON cannot carry NaN or infinities. */
function comparable(value: MmstatsField['value']): MmstatsField['value'] {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

function images(): Record<string, Uint8Array> {
  const worked = new Uint8Array(4096);
  worked.set(WORKED_EXAMPLE);
  const app = processImage({ pid: 321, tid: 654 });
  const requests = new Counter({
    name: 'http_requests_total',
    prefix: 'web.stats.',
    help: 'Requests "served"',
    labelNames: ['method', 'route'],
    registers: app.registers,
  });
  requests.inc({ method: 'GET', route: '/users/:id' }, 12);
  requests.inc({ method: 'POST', route: '/caf\u00e9\n' }, 0.5);
  new Gauge({ name: 'temperature_celsius', help: 'T', registers: app.registers }).set(-273.15);
  new Histogram({ name: 'latency_seconds', help: 'L', registers: app.registers }).observe(0.3);
  const sigs = ['Q', 'q', 'I', 'i', 'H', 'h', 'B', 'b', '?', 'f', 'd'].flatMap((sig, i) => [
    buffered(`b.${sig}`, sig, sig === '?' ? 1 : i + 1),
    unbuffered(`u.${sig}`, sig, sig === '?' ? 0 : -(i % 2) * 7 + 100),
  ]);
  return {
    'worked.mmstats': worked,
    'app.mmstats': app.store.bytes(),
    'sigs.mmstats': image([
      ...sigs,
      buffered('big', 'Q', 2n ** 64n - 1n),
      buffered('inf', 'd', Number.NEGATIVE_INFINITY),
      buffered('nan', 'd', Number.NaN),
      unbuffered('str', '12s', 'h\u00e9llo'),
      unbuffered('full', '3s', 'abc'),
      unbuffered(`${'p'.repeat(512)} `, 'I', 9),
      record('wb1', 'I', 1, Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0)),
    ]),
    'exact.mmstats': image([unbuffered('a', 'I', 1)], null),
    'empty.mmstats': new Uint8Array(0),
    'zeros.mmstats': new Uint8Array(4096),
    'truncated.mmstats': image([buffered('a', 'Q', 1)], null).subarray(0, 20),
    'wb7.mmstats': image([record('a', 'Q', 7, new Uint8Array(16))]),
    'sig.mmstats': image([record('a', 'L', 0, new Uint8Array(16))]),
    'utf8.mmstats': image([record(Uint8Array.of(0xff), 'I', 0xff, new Uint8Array(4))]),
  };
}

describe.skipIf(!toolAvailable('python3'))('an independent Python reader', () => {
  let dir: string;
  let paths: string[];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mmstats-python-'));
    paths = Object.entries(images()).map(([name, bytes]) => writeImage(dir, name, bytes));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with ours on every label, signature and value, and on which files are malformed', () => {
    const run = spawnSync('python3', [SCRIPT, ...paths], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const python = JSON.parse(run.stdout) as PythonResult[];
    expect(python.map((r) => r.path)).toEqual(paths);
    for (const theirs of python) {
      const ours = readMmstatsFile(theirs.path);
      expect({ path: theirs.path, ok: ours.ok }).toEqual({ path: theirs.path, ok: theirs.ok });
      if (!ours.ok) continue;
      const mine = ours.fields.map(({ label, sig, value, buffered }) => ({
        label,
        sig,
        value: comparable(value),
        buffered,
      }));
      expect(mine).toEqual(theirs.fields);
    }
    const okCount = python.filter((r) => r.ok).length;
    expect(okCount).toBe(4);
  });
});
