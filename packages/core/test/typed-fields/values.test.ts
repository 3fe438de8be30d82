import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { createMmStats, type FieldMap, field, type MmCounter, type MmStats } from '../../src/fields.js';
import { readMmstatsFile } from '../../src/file-reader/reader.js';

let dir: string;
const made: { remove(): void }[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mmstats-seed-'));
});
afterEach(() => {
  for (const stats of made.splice(0)) stats.remove();
  rmSync(dir, { recursive: true, force: true });
});

function make<F extends FieldMap>(fields: F): MmStats<F> {
  const stats = createMmStats({ directory: dir, defaultFields: false, fields });
  made.push(stats);
  return stats;
}

/** What another reader finds in the file, by label. */
function inFile(stats: { path: string }): Map<string, unknown> {
  const file = readMmstatsFile(stats.path);
  if (!file.ok) throw new Error(file.reason);
  return new Map(file.fields.map((f) => [f.label, f.value]));
}

describe('number fields behave like the C types mmstats stored them in', () => {
  it('uint wraps negative input modulo 2^32, as the Python test expects 2**32-100 for -100', () => {
    const s = make({ apples: field.uint(), zebras: field.int() });
    expect([s.apples, s.zebras]).toEqual([0, 0]);
    s.apples = 1;
    s.zebras = -9001;
    expect([s.apples, s.zebras]).toEqual([1, -9001]);
    s.apples = -100;
    expect(s.apples).toBe(2 ** 32 - 100);
    s.apples += 101;
    expect(s.apples).toBe(1);
    expect(inFile(s).get('apples')).toBe(1);
    expect(inFile(s).get('zebras')).toBe(-9001);
  });

  it('short and ushort wrap at 16 bits; fractions are cut toward zero', () => {
    const s = make({ a: field.short(), b: field.ushort() });
    s.a = -1;
    s.b = 2 ** 16 - 1;
    expect([s.a, s.b]).toEqual([-1, 65535]);
    s.b = -2;
    s.a = 40000;
    expect([s.a, s.b]).toEqual([40000 - 65536, 65534]);
    s.a = -7.9;
    expect(s.a).toBe(-7);
  });

  it('float rounds to float32, double keeps every bit; NaN stays NaN in a double', () => {
    const s = make({ f: field.float(), d: field.double() });
    s.f = 1 / 3;
    s.d = 1 / 3;
    expect(s.f).toBe(Math.fround(1 / 3));
    expect(s.d).toBe(1 / 3);
    s.d = Number.NaN;
    expect(s.d).toBeNaN();
    expect(inFile(s).get('f')).toBe(Math.fround(1 / 3));
  });

  it('uint64 holds 2^53 exactly and wraps negatives modulo 2^64', () => {
    const s = make({ big: field.uint64() });
    s.big = 2 ** 53;
    expect(s.big).toBe(2 ** 53);
    expect(inFile(s).get('big')).toBe(2 ** 53);
    s.big = -1;
    expect(s.big).toBe(2 ** 64 - 1);
    s.big = Number.POSITIVE_INFINITY;
    expect(s.big).toBe(0);
  });

  it('byte is a signed 8-bit value written in place', () => {
    const s = make({ b: field.byte() });
    s.b = 127;
    expect(s.b).toBe(127);
    s.b = 128;
    expect(s.b).toBe(-128);
  });

  it('initial puts the start value in both buffers', () => {
    const s = make({ n: field.int({ initial: -5 }), on: field.bool({ initial: true }) });
    expect([s.n, s.on]).toEqual([-5, true]);
  });

  it('property types follow the fields', () => {
    const s = make({ n: field.uint(), on: field.bool(), text: field.string(), hits: field.counter() });
    expectTypeOf(s.n).toEqualTypeOf<number>();
    expectTypeOf(s.on).toEqualTypeOf<boolean>();
    expectTypeOf(s.text).toEqualTypeOf<string>();
    expectTypeOf(s.hits).toEqualTypeOf<MmCounter>();
  });
});

describe('bool', () => {
  it('stores exactly 0 or 1 whatever truthy or falsy value it is given', () => {
    const s = make({ a: field.bool(), b: field.bool({ initial: true }) });
    const byteOf = () => readMmstatsFile(s.path);
    expect([s.a, s.b]).toEqual([false, true]);
    (s as { a: unknown }).a = 'anything truthy';
    expect(s.a).toBe(true);
    (s as { a: unknown }).a = 0;
    expect(s.a).toBe(false);
    s.a = true;
    const file = byteOf();
    expect(file.ok && file.fields.map((f) => [f.label, f.value, f.buffered])).toEqual([
      ['a', true, false],
      ['b', true, false],
    ]);
  });
});

describe('string', () => {
  it('truncates to size bytes, NUL pads shorter values, and reads back what fits', () => {
    const s = make({ st: field.string({ size: 10 }), f: field.float(), c: field.counter() });
    expect(s.st).toBe('');
    s.st = 'a'.repeat(11);
    expect(s.st).toBe('a'.repeat(10));
    s.st = 'b';
    expect(s.st).toBe('b');
    expect(inFile(s).get('st')).toBe('b');
    expect([s.f, s.c.value]).toEqual([0, 0]);
  });

  it('cuts UTF-8 on a character boundary: three 3-byte hearts fit in 10 bytes', () => {
    const s = make({ st: field.string({ size: 10 }) });
    s.st = '\u2764'.repeat(11);
    expect(s.st).toBe('\u2764'.repeat(3));
    expect(inFile(s).get('st')).toBe('\u2764'.repeat(3));
    s.st = 'ab\u{1F600}';
    expect(s.st).toBe('ab\u{1F600}');
    s.st = 'abcdefgh\u{1F600}';
    expect(s.st).toBe('abcdefgh');
  });

  it('is 255 bytes by default, and a full field has no NUL', () => {
    const s = make({ st: field.string() });
    const file = readMmstatsFile(s.path);
    expect(file.ok && file.fields[0]?.sig).toBe('255s');
    s.st = 'x'.repeat(300);
    expect(s.st).toBe('x'.repeat(255));
  });
});

describe('static fields', () => {
  it('are written once at creation, unbuffered, read-only; a function value is called then', () => {
    let calls = 0;
    const s = make({
      u: field.staticUint({ value: 7 }),
      q: field.staticInt64({ value: -2 }),
      uq: field.staticUint64({ value: 2 ** 40 }),
      f: field.staticFloat({ value: 0.1 }),
      d: field.staticDouble({ value: () => ++calls + 0.5 }),
      t: field.staticText({ value: 'something cool' }),
    });
    expect([s.u, s.q, s.uq, s.f, s.d, s.t]).toEqual([
      7,
      -2,
      2 ** 40,
      Math.fround(0.1),
      1.5,
      'something cool',
    ]);
    expect(calls).toBe(1);
    const file = readMmstatsFile(s.path);
    expect(file.ok && file.fields.map((f) => [f.sig, f.buffered])).toEqual([
      ['I', false],
      ['q', false],
      ['Q', false],
      ['f', false],
      ['d', false],
      ['256s', false],
    ]);
    // @ts-expect-error static fields are read-only
    expect(() => (s.u = 8)).toThrow(TypeError);
  });
});

describe('counter', () => {
  it('has incr(n = 1) and a settable value, and wraps like the uint64 it is', () => {
    const s = make({ counter: field.counter() });
    expect(s.counter.value).toBe(0);
    s.counter.incr();
    s.counter.incr();
    s.counter.incr(3);
    expect(s.counter.value).toBe(5);
    expect(inFile(s).get('counter')).toBe(5);
    s.counter.incr(-6);
    expect(s.counter.value).toBe(2 ** 64 - 1);
    s.counter.value = 0;
    expect(s.counter.value).toBe(0);
  });
});

describe('average and moving average', () => {
  it('average is the mean of every sample since start', () => {
    const s = make({ avg: field.average() });
    expect(s.avg.value).toBe(0);
    for (const x of [1, 1, 1]) s.avg.add(x);
    expect(s.avg.value).toBe(1);
    s.avg.add(-3);
    expect(s.avg.value).toBe(0);
    s.avg.add(1);
    expect(s.avg.value).toBe(0.2);
    expect(inFile(s).get('avg')).toBe(0.2);
  });

  it('moving average divides by the samples so far until the window is full, then by its size', () => {
    const s = make({ m: field.movingAverage({ size: 3 }), def: field.movingAverage() });
    expect(s.def.size).toBe(100);
    s.m.add(1);
    expect(s.m.value).toBe(1);
    s.m.add(2);
    expect(s.m.value).toBe(1.5);
    s.m.add(6);
    expect(s.m.value).toBe(3);
    s.m.add(10);
    expect(s.m.value).toBe(6);
    for (let i = 0; i < 1000; i++) s.m.add(1);
    expect(s.m.value).toBe(1);
  });

  it('an infinity leaves the window again', () => {
    const s = make({ m: field.movingAverage({ size: 2 }) });
    s.m.add(Number.POSITIVE_INFINITY);
    expect(s.m.value).toBe(Number.POSITIVE_INFINITY);
    s.m.add(4);
    s.m.add(2);
    expect(s.m.value).toBe(3);
  });

  it('window sizes as in the Python test: size 1 is the last sample, larger windows lag more', () => {
    const s = make({
      m1: field.movingAverage({ size: 1 }),
      m2: field.movingAverage(),
      m3: field.movingAverage({ size: 1000 }),
    });
    for (let i = 0; i < 1000; i++) for (const m of [s.m1, s.m2, s.m3]) m.add(i);
    expect(s.m1.value).toBe(999);
    expect(s.m2.value).toBe(949.5);
    expect(s.m3.value).toBe(499.5);
  });
});

describe('timer', () => {
  /** A clock the test moves by hand: the durations are exact, nothing depends on real time. */
  function manualClock() {
    const clock = { now: 100, read: () => clock.now };
    return clock;
  }

  it('start()/stop() records the elapsed seconds into a moving average; last is the latest', () => {
    const clock = manualClock();
    const s = make({ t: field.timer({ clock: clock.read, size: 2 }) });
    expect([s.t.value, s.t.last]).toEqual([0, 0]);
    const context = s.t.start();
    clock.now += 2;
    expect(context.elapsed).toBe(2);
    expect(s.t.value).toBe(0);
    expect(s.t.stop()).toBe(2);
    expect(context.done).toBe(true);
    s.t.start();
    clock.now += 4;
    s.t.stop();
    expect([s.t.value, s.t.last]).toEqual([3, 4]);
    expect(s.t.stop()).toBe(0);
    expect(inFile(s).get('t')).toBe(3);
  });

  it('time(fn) times a function and returns its result, also when it throws', () => {
    const clock = manualClock();
    const s = make({ t: field.timer({ clock: clock.read }) });
    expect(
      s.t.time(() => {
        clock.now += 1;
        return 'done';
      }),
    ).toBe('done');
    expect(() =>
      s.t.time(() => {
        clock.now += 3;
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect([s.t.value, s.t.last]).toEqual([2, 3]);
  });

  it('time(fn) of an async function records when its promise settles, rejected or not', async () => {
    const clock = manualClock();
    const s = make({ t: field.timer({ clock: clock.read }) });
    let finish = () => {};
    const pending = s.t.time(
      () =>
        new Promise<number>((resolve) => {
          finish = () => resolve(42);
        }),
    );
    clock.now += 5;
    expect(s.t.value).toBe(0);
    finish();
    await expect(pending).resolves.toBe(42);
    expect(s.t.last).toBe(5);
    const failing = s.t.time(async () => {
      clock.now += 1;
      throw new Error('late');
    });
    await expect(failing).rejects.toThrow('late');
    expect([s.t.last, s.t.value]).toEqual([1, 3]);
  });

  it('uses a monotonic clock by default', () => {
    const s = make({ t: field.timer() });
    const context = s.t.start();
    expect(context.elapsed).toBeGreaterThanOrEqual(0);
    expect(s.t.stop()).toBeGreaterThanOrEqual(0);
  });
});
