import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolAvailable } from '@mmstats/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMmStats, type FieldMap, field, type MmStats } from '../../src/fields.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';
import { mmapBinding } from '../../src/storage/mmap.js';

const PYTHON_READER = fileURLToPath(new URL('../support/python/mmstats_reader.py', import.meta.url));
const noMmap = mmapBinding() === null && process.env.CI !== 'true';

const SIZES: { [sig: string]: number } = { Q: 8, q: 8, d: 8, I: 4, i: 4, f: 4, H: 2, h: 2 };

interface Record {
  sig: string;
  /** Offset of the write-buffer byte. */
  wb: number;
}

/** Records of a file as read from disk by this process: a second reader, parsing by docs/file-format.md#records. */
function records(path: string): { bytes: Buffer; byLabel: Map<string, Record> } {
  const bytes = readFileSync(path);
  const byLabel = new Map<string, Record>();
  let p = 1;
  for (let len = bytes.readUInt16LE(p); len !== 0; len = bytes.readUInt16LE(p)) {
    const label = bytes.toString('utf8', p + 2, p + 2 + len);
    const sigLen = bytes.readUInt16LE(p + 2 + len);
    const sig = bytes.toString('latin1', p + 4 + len, p + 4 + len + sigLen);
    const wb = p + 4 + len + sigLen;
    const size = sig.endsWith('s') ? Number(sig.slice(0, -1)) : (SIZES[sig] ?? 1);
    byLabel.set(label, { sig, wb });
    p = wb + 1 + size * (bytes[wb] === 0xff ? 1 : 2);
  }
  return { bytes, byLabel };
}

describe.each([
  { backend: 'mmap', option: 'auto', skip: noMmap },
  { backend: 'fallback', option: 'fallback', skip: false },
] as const)('the file another process reads, $backend backend', ({ backend, option, skip }) => {
  let dir: string;
  const made: { remove(): void }[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mmstats-seed-protocol-'));
  });
  afterEach(() => {
    for (const stats of made.splice(0)) stats.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  function make<F extends FieldMap>(fields: F, labelPrefix = ''): MmStats<F> {
    const stats = createMmStats({ directory: dir, backend: option, labelPrefix, fields });
    expect(stats.backend).toBe(backend);
    made.push(stats);
    return stats;
  }

  it.skipIf(skip)(
    'double buffering: wb starts 0 with both buffers at the start value; each write fills buffer[wb], then flips wb',
    () => {
      const s = make({ n: field.uint({ initial: 7 }), d: field.double(), hits: field.counter() });
      const start = records(s.path);
      const n = start.byLabel.get('n')!;
      expect(start.bytes[n.wb]).toBe(0);
      expect([start.bytes.readUInt32LE(n.wb + 1), start.bytes.readUInt32LE(n.wb + 5)]).toEqual([7, 7]);
      let previous = 7;
      [11, 12, 13, 2 ** 32 - 1].forEach((value, i) => {
        s.n = value;
        const { bytes } = records(s.path);
        const wb = bytes[n.wb]!;
        expect(wb, `write-buffer byte after write ${i + 1}`).toBe((i + 1) % 2);
        expect(bytes.readUInt32LE(n.wb + 1 + 4 * (wb ^ 1)), 'the buffer readers read').toBe(value);
        expect(bytes.readUInt32LE(n.wb + 1 + 4 * wb), 'the stale buffer, written next').toBe(previous);
        previous = value;
      });
      const d = start.byLabel.get('d')!;
      const hits = start.byLabel.get('hits')!;
      for (let i = 1; i <= 3; i++) {
        s.d = i / 4;
        s.hits.incr();
        const { bytes } = records(s.path);
        expect(bytes[d.wb]).toBe(i % 2);
        expect(bytes.readDoubleLE(d.wb + 1 + 8 * (bytes[d.wb]! ^ 1))).toBe(i / 4);
        expect(bytes.readBigUInt64LE(hits.wb + 1 + 8 * (bytes[hits.wb]! ^ 1))).toBe(BigInt(i));
      }
    },
  );

  it.skipIf(skip)(
    'the default fields come first, under the label prefix, static; then the fields in declaration order',
    () => {
      const s = make({ zeta: field.double(), alpha: field.string({ size: 4 }), mid: field.bool() }, 'web.');
      const file = readMmstatsFile(s.path);
      if (!file.ok) throw new Error(file.reason);
      expect(file.fields.map((f) => [f.label, f.sig, f.buffered])).toEqual([
        ['web.sys.pid', 'I', false],
        ['web.sys.tid', 'q', false],
        ['web.sys.uid', 'Q', false],
        ['web.sys.gid', 'Q', false],
        ['web.org.nodejs.version', '256s', false],
        ['web.sys.created', 'd', false],
        ['web.zeta', 'd', true],
        ['web.alpha', '4s', false],
        ['web.mid', '?', false],
      ]);
      const values = new Map(file.fields.map((f) => [f.label, f.value]));
      expect(values.get('web.sys.pid')).toBe(process.pid);
      expect(values.get('web.org.nodejs.version')).toBe(process.version);
      expect(file.pid).toBe(process.pid);
      const created = values.get('web.sys.created') as number;
      expect(Math.abs(created - Date.now() / 1000)).toBeLessThan(60);
    },
  );

  it.skipIf(skip)(
    'every kind, read by our reader and by an independent one, matches what the object reads',
    () => {
      const s = make({
        counter: field.counter(),
        big: field.uint64(),
        u: field.uint(),
        i: field.int(),
        h: field.short(),
        uh: field.ushort(),
        f: field.float(),
        d: field.double(),
        b: field.byte(),
        flag: field.bool(),
        text: field.string({ size: 12 }),
        avg: field.average(),
        moving: field.movingAverage(),
        timer: field.timer({ clock: () => 0 }),
        su: field.staticUint({ value: 1 }),
        sq: field.staticInt64({ value: -1 }),
        suq: field.staticUint64({ value: 2 }),
        sf: field.staticFloat({ value: 0.5 }),
        sd: field.staticDouble({ value: 0.25 }),
        st: field.staticText({ value: 'caf\u00e9' }),
      });
      s.counter.incr(3);
      s.big = 2 ** 40 + 1;
      s.u = -1;
      s.i = -2;
      s.h = -3;
      s.uh = 4;
      s.f = 0.1;
      s.d = -0.5;
      s.b = -6;
      s.flag = true;
      s.text = 'h\u00e9llo';
      s.avg.add(2);
      s.avg.add(4);
      s.moving.add(8);
      s.timer.time(() => {});
      const own: [string, unknown][] = [
        ['counter', s.counter.value],
        ['big', s.big],
        ['u', s.u],
        ['i', s.i],
        ['h', s.h],
        ['uh', s.uh],
        ['f', s.f],
        ['d', s.d],
        ['b', s.b],
        ['flag', s.flag],
        ['text', s.text],
        ['avg', s.avg.value],
        ['moving', s.moving.value],
        ['timer', s.timer.value],
        ['su', s.su],
        ['sq', s.sq],
        ['suq', s.suq],
        ['sf', s.sf],
        ['sd', s.sd],
        ['st', s.st],
      ];
      expect(own.map(([, v]) => v)).toEqual([
        3,
        2 ** 40 + 1,
        2 ** 32 - 1,
        -2,
        -3,
        4,
        Math.fround(0.1),
        -0.5,
        -6,
        true,
        'h\u00e9llo',
        3,
        8,
        0,
        1,
        -1,
        2,
        0.5,
        0.25,
        'caf\u00e9',
      ]);
      const file = readMmstatsFile(s.path);
      if (!file.ok) throw new Error(file.reason);
      const ours = new Map(file.fields.map((f) => [f.label, f.value]));
      for (const [label, value] of own) expect(ours.get(label), label).toEqual(value);
      if (!toolAvailable('python3')) return;
      const run = spawnSync('python3', [PYTHON_READER, s.path], { encoding: 'utf8', timeout: 10_000 });
      expect(run.stderr).toBe('');
      const [theirs] = JSON.parse(run.stdout) as {
        ok: boolean;
        fields: { label: string; value: unknown }[];
      }[];
      expect(theirs?.ok).toBe(true);
      const python = new Map(theirs!.fields.map((f) => [f.label, f.value]));
      for (const [label, value] of own) expect(python.get(label), label).toEqual(value);
    },
  );

  it.skipIf(skip)('a value is in the file as soon as it is written, before any sync()', () => {
    const s = make({ n: field.uint() }, 'x.');
    for (let value = 1; value <= 20; value++) {
      s.n = value;
      const file = readMmstatsFile(s.path);
      expect(file.ok && file.fields.find((f) => f.label === 'x.n')?.value).toBe(value);
    }
  });
});
