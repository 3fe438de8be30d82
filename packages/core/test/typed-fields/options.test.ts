import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMmStats, type FieldMap, field, type MmStatsOptions } from '../../src/fields.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmstats-seed-options-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Creating must fail with this code and message, and leave no file behind. */
function refused<F extends FieldMap>(
  options: Omit<MmStatsOptions<F>, 'directory'>,
  code: string,
  message: RegExp,
) {
  let error: unknown;
  try {
    createMmStats({ ...options, directory: dir } as MmStatsOptions<F>).remove();
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ name: 'MetricsError', code });
  expect((error as Error).message).toMatch(message);
  expect(readdirSync(dir)).toEqual([]);
}

describe('labels', () => {
  it('are labelPrefix + (label option ?? property name)', () => {
    const stats = createMmStats({
      directory: dir,
      labelPrefix: 'web.stats.',
      defaultFields: false,
      fields: { status2xx: field.uint({ label: 'status.2XX' }), hits: field.counter() },
    });
    expect(Object.keys(stats)).toEqual(['status2xx', 'hits']);
    stats.remove();
  });

  it('must be unique, default fields included', () => {
    refused(
      { fields: { a: field.uint({ label: 'x' }), b: field.double({ label: 'x' }) } },
      'INVALID_OPTION',
      /Label "x" is used by both field "a" and field "b"/,
    );
    refused(
      { labelPrefix: 'web.', fields: { pid: field.uint({ label: 'sys.pid' }) } },
      'INVALID_OPTION',
      /"web\.sys\.pid" is used by both the default field web\.sys\.pid and field "pid".*defaultFields: false/,
    );
  });

  it('cannot be empty: an empty label option is refused where the field is declared', () => {
    expect(() => field.uint({ label: '' })).toThrow(
      /field\.uint\(\): label "" is invalid: pass a non-empty string/,
    );
    refused(
      { defaultFields: false, fields: { '': field.uint() } },
      'INVALID_OPTION',
      /label of field "" is empty/,
    );
  });

  it('with a byte length that is a multiple of 256 are refused, since old readers stop there (docs/file-format.md#label-length)', () => {
    refused(
      { fields: { long: field.uint({ label: 'a'.repeat(256) }) } },
      'INVALID_OPTION',
      /is 256 bytes, a multiple of 256.*one byte shorter or longer/,
    );
    // Bytes, not characters: 128 two-byte characters are 256 bytes.
    refused({ fields: { long: field.uint({ label: '\u00e9'.repeat(128) }) } }, 'INVALID_OPTION', /256 bytes/);
    const ok = createMmStats({ directory: dir, fields: { long: field.uint({ label: 'a'.repeat(257) }) } });
    ok.remove();
  });

  it('longer than 65535 bytes are refused', () => {
    refused(
      { fields: { long: field.uint({ label: 'a'.repeat(70_000) }) } },
      'INVALID_OPTION',
      /70000 bytes; mmstats labels hold at most 65535/,
    );
  });
});

describe('fields and options', () => {
  it('a property may not hide a member of the stats object; the label option keeps the name in the file', () => {
    for (const name of ['sync', 'remove', 'path', 'size', 'backend', 'toString', 'constructor']) {
      refused(
        { fields: { [name]: field.uint() } },
        'INVALID_OPTION',
        new RegExp(`Field name "${name}" clashes`),
      );
    }
  });

  it('every value in fields must come from field.*', () => {
    refused(
      { fields: { n: 5 } as unknown as FieldMap },
      'INVALID_OPTION',
      /fields\.n is not a field: declare it with field\.uint\(\)/,
    );
  });

  it('bad options name the value and the fix', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ fields: null }, /fields null is invalid/],
      [{ fields: {}, backend: 'mmap' }, /backend "mmap" is invalid: use "auto" or "fallback"/],
      [
        { fields: {}, filename: 'a/b.mmstats' },
        /filename "a\/b\.mmstats" is invalid: pass a file name without a directory/,
      ],
      [{ fields: {}, labelPrefix: 5 }, /labelPrefix 5 is invalid/],
      [{ fields: {}, mode: 0o1777 }, /mode 1023 is invalid/],
      [{ fields: {}, defaultFields: 'no' }, /defaultFields "no" is invalid: pass true or false/],
    ];
    for (const [options, message] of cases) {
      refused(options as unknown as MmStatsOptions<FieldMap>, 'INVALID_OPTION', message);
    }
  });

  it('bad field options fail where the field is declared', () => {
    expect(() => field.string({ size: 0 })).toThrow(
      /field\.string\(\): size 0 is invalid: pass a whole number from 1/,
    );
    expect(() => field.movingAverage({ size: 1.5 })).toThrow(/size 1\.5 is invalid/);
    expect(() => field.timer({ clock: 5 as unknown as () => number })).toThrow(/clock 5 is invalid/);
    expect(() => field.staticUint({} as { value: number })).toThrow(
      /field\.staticUint\(\): value undefined is invalid/,
    );
    expect(() => field.staticText({ value: 5 as unknown as string })).toThrow(/value 5 is invalid/);
    expect(() => field.bool({ initial: 1 as unknown as boolean })).toThrow(
      /initial 1 is invalid: pass true or false/,
    );
    expect(() => field.uint({ initial: '1' as unknown as number })).toThrow(
      /initial "1" is invalid: pass a number/,
    );
    expect(() => field.counter('hits' as never)).toThrow(/options "hits" is invalid/);
  });

  it('a static value function that returns no number fails at creation, leaving no file', () => {
    refused(
      { fields: { v: field.staticDouble({ value: () => 'x' as unknown as number }) } },
      'INVALID_OPTION',
      /value\(\) "x" is invalid: the function must return a number/,
    );
  });
});
