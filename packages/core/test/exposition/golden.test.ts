import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMmStats, field } from '../../src/fields.js';
import { mmapBinding } from '../../src/storage/mmap.js';

/**
 * docs/file-format.md#worked-example, byte for byte: what the real mmstats 0.8.0 writer produced
 * (Python 2.7.18, x86-64 Linux). Our writer must produce the same file from the same fields.
 */
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

const WORKED_EXAMPLE = hex(`
  01
  0a00 7374617475732e325858 0100 49 01 05000000 00000000
  0f00 74696d6572732e6c6173745f686974 0100 64 00 00000000004a9340 0000000000519440
`);
const BOOL_FLAG = hex('0800 7765622e666c6167 0100 3f ff 01');
const STATIC_PID = hex('0b00 7765622e7379732e706964 0100 49 ff 533d0000');

/** The binding is built at install time when a compiler exists; CI always has one. */
const noMmap = mmapBinding() === null && process.env.CI !== 'true';

const BACKENDS = [
  { backend: 'mmap', option: 'auto', skip: noMmap },
  { backend: 'fallback', option: 'fallback', skip: false },
] as const;

// The example is little endian (x86-64); the format uses the writer's native order (docs/file-format.md#byte-order).
describe.skipIf(endianness() !== 'LE').each(BACKENDS)(
  'golden bytes, $backend backend',
  ({ backend, option, skip }) => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mmstats-golden-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** The file as another reader sees it; the fallback is read again after sync(). */
    function fileBytes(stats: { path: string; sync(): void }): Buffer {
      const before = readFileSync(stats.path);
      if (backend === 'fallback') stats.sync();
      const after = readFileSync(stats.path);
      expect(after.equals(before), 'sync() changed nothing: every write was already in the file').toBe(true);
      return after;
    }

    it.skipIf(skip)(
      'worked example (docs/file-format.md#worked-example): status2xx = 5, last_hit = 1234.5 then 1300.25 gives the 62 bytes, then zeros to 4096',
      () => {
        const stats = createMmStats({
          directory: dir,
          filename: 'worked.mmstats',
          backend: option,
          defaultFields: false,
          fields: {
            status2xx: field.uint({ label: 'status.2XX' }),
            lastHit: field.double({ label: 'timers.last_hit' }),
          },
        });
        expect(stats.backend).toBe(backend);
        stats.status2xx = 5;
        stats.lastHit = 1234.5;
        stats.lastHit = 1300.25;
        const expected = Buffer.alloc(4096);
        WORKED_EXAMPLE.copy(expected);
        const bytes = fileBytes(stats);
        expect(WORKED_EXAMPLE.byteLength).toBe(62);
        expect(bytes.subarray(0, 64).toString('hex')).toBe(expected.subarray(0, 64).toString('hex'));
        expect(bytes.equals(expected)).toBe(true);
        expect(statSync(stats.path).size).toBe(4096);
        expect(stats.size).toBe(4096);
        expect([stats.status2xx, stats.lastHit]).toEqual([5, 1300.25]);
        stats.remove();
      },
    );

    it.skipIf(skip)(
      'worked example (docs/file-format.md#worked-example): the unbuffered records, a BoolField set to True and the static sys.pid 15699',
      () => {
        const stats = createMmStats({
          directory: dir,
          filename: 'web.mmstats',
          backend: option,
          labelPrefix: 'web.',
          defaultFields: false,
          fields: { flag: field.bool(), pid: field.staticUint({ label: 'sys.pid', value: 15699 }) },
        });
        stats.flag = true;
        const expected = Buffer.alloc(4096);
        Buffer.concat([Buffer.of(1), BOOL_FLAG, STATIC_PID]).copy(expected);
        expect(fileBytes(stats).equals(expected)).toBe(true);
        expect(stats.pid).toBe(15699);
        stats.remove();
      },
    );

    it.skipIf(skip)(
      "the default sys.pid field is that record with this process's pid, first in the file",
      () => {
        const stats = createMmStats({
          directory: dir,
          filename: 'defaults.mmstats',
          backend: option,
          labelPrefix: 'web.',
          fields: {},
        });
        const pid = Buffer.alloc(4);
        pid.writeUInt32LE(process.pid);
        const record = Buffer.concat([STATIC_PID.subarray(0, -4), pid]);
        expect(
          fileBytes(stats)
            .subarray(1, 1 + record.byteLength)
            .toString('hex'),
        ).toBe(record.toString('hex'));
        stats.remove();
      },
    );
  },
);
