import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandGlob, findMmstatsFiles, readMmstatsDirectory } from '../../src/file-reader/discover.js';
import {
  type ByteSource,
  type MmstatsReadResult,
  readMmstatsFile,
  readMmstatsSource,
} from '../../src/file-reader/reader.js';
import { Counter, Histogram } from '../../src/index.js';
import {
  buffered,
  image,
  pack,
  processImage,
  record,
  unbuffered,
  WORKED_EXAMPLE,
  writeImage,
} from '../support/mmstats-images.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmstats-reader-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ok(result: MmstatsReadResult) {
  if (!result.ok) throw new Error(`expected ${result.path} to read, got: ${result.reason}`);
  return result;
}

function reason(result: MmstatsReadResult): string {
  if (result.ok)
    throw new Error(`expected ${result.path} to be skipped, it read as ${JSON.stringify(result.fields)}`);
  return result.reason;
}

function readBytes(name: string, bytes: Uint8Array) {
  return readMmstatsFile(writeImage(dir, name, bytes));
}

describe('readMmstatsFile: version 1 as the original writes it', () => {
  it('reads the worked example of docs/file-format.md (62 bytes, zero fill to 4096)', () => {
    expect(WORKED_EXAMPLE.length).toBe(62);
    const bytes = new Uint8Array(4096);
    bytes.set(WORKED_EXAMPLE);
    const file = ok(readMmstatsFile(writeImage(dir, 'worked.mmstats', bytes), { byteOrder: 'little' }));
    expect(file.fields).toEqual([
      { label: 'status.2XX', sig: 'I', value: 5, buffered: true },
      { label: 'timers.last_hit', sig: 'd', value: 1300.25, buffered: true },
    ]);
    expect(file.pid).toBeUndefined();
    expect(file.warnings).toEqual([]);
  });

  it('reads the unbuffered records of the worked example and finds the pid under a label prefix', () => {
    const flag = Buffer.from('08007765622e666c616701003fff01', 'hex');
    const pid = Buffer.from('0b007765622e7379732e706964010049ff533d0000', 'hex');
    const file = ok(readBytes('web.mmstats', image([flag, pid])));
    expect(file.fields).toEqual([
      { label: 'web.flag', sig: '?', value: true, buffered: false },
      { label: 'web.sys.pid', sig: 'I', value: 15699, buffered: false },
    ]);
    expect(file.pid).toBe(15699);
  });

  const cases: [string, number | bigint | boolean | string, number | boolean | string][] = [
    ['Q', 2n ** 53n, 2 ** 53],
    ['Q', 2n ** 64n - 1n, 2 ** 64],
    ['q', -(2n ** 53n), -(2 ** 53)],
    ['I', 2 ** 32 - 1, 2 ** 32 - 1],
    ['i', -(2 ** 31), -(2 ** 31)],
    ['H', 65535, 65535],
    ['h', -32768, -32768],
    ['B', 255, 255],
    ['b', -128, -128],
    ['?', true, true],
    ['f', 1.5, 1.5],
    ['d', -0.1, -0.1],
    ['d', Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
    ['5s', 'abc', 'abc'],
    ['3s', 'abc', 'abc'],
    ['256s', 'v20.0.0 – ü', 'v20.0.0 – ü'],
  ];

  it.each(cases)('round-trips %s = %s, buffered and unbuffered', (sig, written, expected) => {
    const file = ok(
      readBytes(`sig-${sig}.mmstats`, image([buffered('b', sig, written), unbuffered('u', sig, written)])),
    );
    expect(file.fields).toEqual([
      { label: 'b', sig, value: expected, buffered: true },
      { label: 'u', sig, value: expected, buffered: false },
    ]);
  });

  it('reads NaN and 32-bit floats as the writer stored them', () => {
    const file = ok(
      readBytes('nan.mmstats', image([buffered('n', 'd', Number.NaN), buffered('f', 'f', 0.1)])),
    );
    expect(file.fields[0]!.value).toBeNaN();
    expect(file.fields[1]!.value).toBe(Math.fround(0.1));
  });

  it('reads buffer 0 when the write buffer is 1, and never the buffer being written', () => {
    const values = new Uint8Array(16);
    values.set(pack('d', 7), 0);
    values.set(pack('d', 99), 8);
    const file = ok(readBytes('wb1.mmstats', image([record('x', 'd', 1, values)])));
    expect(file.fields[0]!.value).toBe(7);
  });

  it('stops at the end of the data when a file has no zero fill after its last record', () => {
    const file = ok(readBytes('exact.mmstats', image([unbuffered('a', 'I', 1)], null)));
    expect(file.fields.map((f) => f.label)).toEqual(['a']);
  });

  it('trims the one space our writer adds to a label of 256·k + 1 bytes, and nothing else', () => {
    const padded = `${'a'.repeat(256)} `;
    const natural = `${'b'.repeat(256)}c`;
    const shortSpace = 'c ';
    const file = ok(
      readBytes(
        'long.mmstats',
        image([unbuffered(padded, 'I', 1), unbuffered(natural, 'I', 2), unbuffered(shortSpace, 'I', 3)]),
      ),
    );
    expect(file.fields.map((f) => f.label)).toEqual(['a'.repeat(256), natural, shortSpace]);
  });

  it('keeps the values and labels of real metrics written through a Segment', () => {
    const proc = processImage({ pid: 4242 });
    const c = new Counter({
      name: 'jobs_total',
      help: 'Jobs',
      labelNames: ['kind'],
      registers: proc.registers,
    });
    c.inc({ kind: 'a "quoted" \\ one' }, 3);
    const h = new Histogram({
      name: 'wait_seconds',
      help: 'Wait',
      buckets: [0.5],
      registers: proc.registers,
    });
    h.observe(0.25);
    h.observe(2);
    const file = ok(readBytes('real.mmstats', proc.store.bytes()));
    const values = Object.fromEntries(file.fields.map((f) => [f.label, f.value]));
    expect(file.pid).toBe(4242);
    expect(values).toMatchObject({
      'sys.pid': 4242,
      'org.nodejs.version': process.version,
      'mmstats.meta.jobs_total': '{"type":"counter","help":"Jobs","unit":""}',
      'jobs_total{kind="a \\"quoted\\" \\\\ one"}': 3,
      'wait_seconds_bucket{le="0.5"}': 1,
      'wait_seconds_bucket{le="+Inf"}': 2,
      wait_seconds_sum: 2.25,
      wait_seconds_count: 2,
    });
  });

  it('reads files of a big-endian writer when told so', () => {
    const bytes = image([buffered('x', 'Q', 258, false), unbuffered('s', 'h', -2, false)], 64);
    const file = ok(readMmstatsSource('be', memorySource(bytes), { byteOrder: 'big' }));
    expect(file.fields.map((f) => f.value)).toEqual([258, -2]);
  });
});

describe('readMmstatsFile: files that are not valid version 1 are skipped with a reason', () => {
  const good = buffered('a.b', 'Q', 1);
  const hostile: [string, Uint8Array, RegExp][] = [
    ['an empty file', new Uint8Array(0), /^empty file \(0 bytes\)/],
    [
      'version 0 (a page of zeros)',
      new Uint8Array(4096),
      /^format version 0 in byte 0, expected 1: the file is still being created/,
    ],
    ['version 2', image([good], 4096, 2), /^format version 2 in byte 0, expected 1$/],
    [
      'a record cut in its value',
      image([good], null).subarray(0, 12),
      /^truncated record at offset 1: a Q value of 16 bytes runs past/,
    ],
    [
      'a record cut in its label',
      image([good, good], null).subarray(0, 30),
      /^truncated record at offset 26: a label of 3 bytes runs past/,
    ],
    [
      'one stray byte after the records',
      Uint8Array.of(...image([good], null), 7),
      /^truncated record at offset 26: 1 byte left/,
    ],
    [
      'a write-buffer byte of 7',
      image([record('a.b', 'Q', 7, new Uint8Array(16))]),
      /^invalid write-buffer byte 7 in the record at offset 1 \(label "a.b"\)/,
    ],
    [
      'an unknown signature',
      image([record('x', 'x', 0xff, new Uint8Array(1))]),
      /^unknown signature "x" in the record at offset 1/,
    ],
    [
      "0.3.4's platform-sized L",
      image([good, record('old', 'L', 0, new Uint8Array(16))]),
      /^unknown signature "L" in the record at offset 26 \(label "old"\)/,
    ],
    [
      'a signature length of 0',
      image([record('x', '', 0xff, new Uint8Array(4))]),
      /^signature length 0 in the record at offset 1/,
    ],
    [
      'a label that is not UTF-8',
      image([record(Uint8Array.of(0xc3, 0x28), 'I', 0xff, new Uint8Array(4))]),
      /^the label of the record at offset 1 is not valid UTF-8/,
    ],
    [
      'garbage',
      Uint8Array.from({ length: 64 }, (_, i) => (i === 0 ? 1 : (i * 37 + 11) & 0xff)),
      /^truncated record at offset 1: a label of \d+ bytes runs past/,
    ],
    [
      'a label length past the end',
      Uint8Array.of(1, 0xff, 0xff, 0, 0),
      /^truncated record at offset 1: a label of 65535 bytes/,
    ],
  ];

  it.each(hostile)('%s', (name, bytes, expected) => {
    expect(reason(readBytes(`bad-${name.replace(/\W+/g, '_')}.mmstats`, bytes))).toMatch(expected);
  });

  it('reports missing files, directories and FIFOs instead of throwing or hanging', () => {
    expect(reason(readMmstatsFile(join(dir, 'nope.mmstats')))).toBe('no such file or directory');
    mkdirSync(join(dir, 'adir.mmstats'), { recursive: true });
    expect(reason(readMmstatsFile(join(dir, 'adir.mmstats')))).toBe('not a regular file');
    const fifo = join(dir, 'fifo.mmstats');
    if (spawnSync('mkfifo', [fifo]).status === 0)
      expect(reason(readMmstatsFile(fifo))).toBe('not a regular file');
  });

  it('skips files larger than maxBytes', () => {
    const path = writeImage(dir, 'big.mmstats', image([buffered('a', 'd', 1)], 8192));
    expect(reason(readMmstatsFile(path, { maxBytes: 4096 }))).toBe(
      'file of 8192 bytes is larger than maxBytes (4096)',
    );
  });

  it('throws only for programming errors', () => {
    expect(() => readMmstatsFile('')).toThrow(/needs a file path/);
    expect(() => readMmstatsFile(join(dir, 'x'), { byteOrder: 'middle' as 'big' })).toThrow(
      /byteOrder "middle"/,
    );
  });

  it('keeps a string value that is not UTF-8, with a warning', () => {
    const file = ok(
      readBytes('latin1.mmstats', image([record('s', '4s', 0xff, Uint8Array.of(0x61, 0xe9, 0, 0))])),
    );
    expect(file.fields[0]!.value).toBe('a\ufffd');
    expect(file.warnings).toEqual(['string value of "s" is not valid UTF-8']);
  });

  it('never throws on arbitrary bytes after a version byte of 1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (tail) => {
        const result = readMmstatsSource('fuzz', memorySource(Uint8Array.of(1, ...tail)));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });
});

/** A source over fixed bytes, or over a list of images returned one per read (then the last one). */
function memorySource(...versions: Uint8Array[]): ByteSource & { reads: number } {
  const source = {
    reads: 0,
    size: versions[0]!.length,
    read(position: number, length: number) {
      const bytes = versions[Math.min(source.reads, versions.length - 1)]!;
      source.reads++;
      return bytes.slice(position, position + length);
    },
  };
  return source;
}

describe('torn values (docs/file-format.md#torn-reads): two reads must agree', () => {
  const withD = (wb: number, b0: number, b1: number) => {
    const values = new Uint8Array(16);
    values.set(pack('d', b0), 0);
    values.set(pack('d', b1), 8);
    return image([unbuffered('sys.pid', 'I', 1), record('x', 'd', wb, values)], 64);
  };

  it('accepts a value after two reads when only the buffer being written changes', () => {
    const source = memorySource(withD(0, 111, 5), withD(0, 222, 5));
    const file = ok(readMmstatsSource('t', source));
    expect(file.fields[1]).toEqual({ label: 'x', sig: 'd', value: 5, buffered: true });
    expect(source.reads).toBe(2);
  });

  it('re-reads a field whose write buffer flipped between the reads and takes the settled value', () => {
    const source = memorySource(withD(0, 0, 5), withD(1, 6, 5), withD(1, 6, 5));
    const file = ok(readMmstatsSource('t', source));
    expect(file.fields[1]).toEqual({ label: 'x', sig: 'd', value: 6, buffered: true });
    expect(source.reads).toBe(3);
  });

  it('catches two flips during one read (same write buffer, different bytes in the read buffer)', () => {
    const source = memorySource(withD(0, 0, 5), withD(0, 0, 7), withD(0, 0, 9), withD(0, 0, 9));
    const file = ok(readMmstatsSource('t', source));
    expect(file.fields[1]!.value).toBe(9);
    expect(file.fields[1]!.unstable).toBeUndefined();
    expect(source.reads).toBe(4);
  });

  it('reports the last value as unstable when the field never settles, after a bounded number of reads', () => {
    const versions = Array.from({ length: 10 }, (_, i) => withD(i & 1, 1000 + i, 2000 + i));
    const source = memorySource(...versions);
    const file = ok(readMmstatsSource('t', source, { maxRereads: 4 }));
    expect(source.reads).toBe(2 + 4);
    expect(file.fields[1]).toEqual({ label: 'x', sig: 'd', value: 1005, buffered: true, unstable: true });
    expect(file.fields[0]!.unstable).toBeUndefined();
  });

  it('flags an unbuffered value that changes between reads too', () => {
    const a = image([unbuffered('s', '8s', 'aaaaaaaa')], 64);
    const b = image([unbuffered('s', '8s', 'bbbbbbbb')], 64);
    const source = memorySource(a, b, a, b, a, b, a, b);
    const file = ok(readMmstatsSource('t', source));
    expect(file.fields[0]!.unstable).toBe(true);
  });

  it('keeps the first complete value when the file shrinks under the reader', () => {
    const full = withD(0, 0, 5);
    const source = memorySource(full, full.subarray(0, 10));
    const file = ok(readMmstatsSource('t', source));
    expect(file.fields[1]).toEqual({ label: 'x', sig: 'd', value: 5, buffered: true, unstable: true });
  });
});

describe('discovery', () => {
  let root: string;
  beforeAll(() => {
    root = join(dir, 'discover');
    mkdirSync(join(root, 'sub'), { recursive: true });
    const one = image([unbuffered('sys.pid', 'I', 11)]);
    writeFileSync(join(root, 'mmstats-app-11-11.mmstats'), one);
    writeFileSync(join(root, 'mmstats-app-12-12.mmstats'), image([unbuffered('sys.pid', 'I', 12)]));
    writeFileSync(join(root, 'broken.mmstats'), new Uint8Array(4096));
    writeFileSync(join(root, 'notes.txt'), 'not mmstats');
    writeFileSync(join(root, '.mmstats-app-13-13.mmstats.tmp'), one);
    writeFileSync(join(root, '.hidden.mmstats'), one);
    writeFileSync(join(root, 'sub', 'x.mmstats'), one);
    symlinkSync(join(root, 'sub', 'x.mmstats'), join(root, 'link.mmstats'));
  });

  it('reads the *.mmstats files of a directory and lists the ones it skipped', () => {
    const { files, skipped } = readMmstatsDirectory(root);
    expect(files.map((f) => f.pid)).toEqual([11, 11, 12]);
    expect(files.map((f) => f.path)).toEqual(
      ['link.mmstats', 'mmstats-app-11-11.mmstats', 'mmstats-app-12-12.mmstats'].map((n) => join(root, n)),
    );
    expect(skipped).toEqual([
      { path: join(root, 'broken.mmstats'), reason: expect.stringMatching(/^format version 0/) },
    ]);
  });

  it('takes globs, explicit files whatever their name, and reports missing paths', () => {
    const { paths, missing } = findMmstatsFiles([
      join(root, 'mmstats-app-1[2-9]-*.mmstats'),
      join(root, 'notes.txt'),
      join(root, 'sub', '?.mmstats'),
      join(root, 'gone'),
    ]);
    expect(paths).toEqual([
      join(root, 'mmstats-app-12-12.mmstats'),
      join(root, 'notes.txt'),
      join(root, 'sub', 'x.mmstats'),
    ]);
    expect(missing).toEqual([{ path: join(root, 'gone'), reason: 'no such file or directory' }]);
    expect(expandGlob(join(root, '*', '*.mmstats'))).toEqual([join(root, 'sub', 'x.mmstats')]);
    expect(expandGlob(join(root, '.*.mmstats'))).toEqual([join(root, '.hidden.mmstats')]);
  });

  it('defaults to $MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats', () => {
    const viaGlob = findMmstatsFiles(undefined, { MMSTATS_GLOB: join(root, '*-11-*.mmstats') });
    expect(viaGlob.paths).toEqual([join(root, 'mmstats-app-11-11.mmstats')]);
    const viaPath = findMmstatsFiles(undefined, { MMSTATS_PATH: join(root, 'sub') });
    expect(viaPath.paths).toEqual([join(root, 'sub', 'x.mmstats')]);
  });
});
