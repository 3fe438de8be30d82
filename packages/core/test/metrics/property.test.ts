import { promtoolCheckMetrics, toolAvailable } from '@mmstats/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Counter, Gauge, isMetricsError, Registry } from '../../src/index.js';
import { type ParsedFamily, parseOpenMetrics, parseText } from '../support/exposition-parser.js';
import { promtoolReadOpenMetrics } from '../support/promtool-openmetrics.js';

/** Well-formed Unicode, with the characters the formats must escape made frequent. */
const tricky = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.constantFrom('"', '\\', '\n', '\\n', '\\"', '\r', '\t', ' ', '{', '}', ',', '=', '#'),
  },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const text = fc.string({ unit: tricky, maxLength: 16 });
const help = text.filter((h) => h.trim() !== '');
// Lower case only: promtool's linter flags camelCase label names.
const labelName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,7}$/).filter((n) => !n.startsWith('__'));

interface Case {
  help: string;
  labelNames: string[];
  series: { values: string[]; value: number }[];
}

const caseArb: fc.Arbitrary<Case> = fc
  .uniqueArray(labelName, { minLength: 1, maxLength: 3 })
  .chain((labelNames) =>
    fc.record({
      help,
      labelNames: fc.constant(labelNames),
      series: fc.uniqueArray(
        fc.record({ values: fc.tuple(...labelNames.map(() => text)), value: fc.double() }),
        { maxLength: 5, selector: (s) => JSON.stringify(s.values) },
      ),
    }),
  );

/** A gauge `g<i>` holding the case's values and a counter `c<i>_total` holding their magnitudes. */
function register(registry: Registry, c: Case, i: number): void {
  const registers = [registry];
  const gauge = new Gauge({ name: `g${i}`, help: c.help, labelNames: c.labelNames, registers });
  const counter = new Counter({ name: `c${i}_total`, help: c.help, labelNames: c.labelNames, registers });
  for (const s of c.series) {
    gauge.labels(...s.values).set(s.value);
    if (Number.isFinite(s.value)) counter.labels(...s.values).inc(Math.abs(s.value));
  }
}

function labelsOf(c: Case, values: string[]): Record<string, string> {
  return Object.fromEntries(c.labelNames.map((name, i) => [name, values[i]!]));
}

/** Every series the case should read back as: [sample name, labels, value]. */
function expected(c: Case, i: number): [string, Record<string, string>, number][] {
  const gauges = c.series.map(
    (s) => [`g${i}`, labelsOf(c, s.values), s.value] as [string, Record<string, string>, number],
  );
  const counters = c.series
    .filter((s) => Number.isFinite(s.value))
    .map(
      (s) =>
        [`c${i}_total`, labelsOf(c, s.values), Math.abs(s.value)] as [string, Record<string, string>, number],
    );
  return [...gauges, ...counters];
}

function samplesOf(families: ParsedFamily[]): [string, Record<string, string>, number][] {
  return families.flatMap((f) =>
    f.samples.map((s) => [s.name, s.labels, s.value] as [string, Record<string, string>, number]),
  );
}

/** Compares values with Object.is, so NaN equals NaN and -0 is not 0. */
function sameSeries(
  actual: [string, Record<string, string>, number][],
  wanted: [string, Record<string, string>, number][],
) {
  expect(actual.map(([n, l]) => [n, l])).toEqual(wanted.map(([n, l]) => [n, l]));
  actual.forEach(([name, , value], i) => {
    expect(Object.is(value, wanted[i]![2]), `${name}: ${value} vs ${wanted[i]![2]}`).toBe(true);
  });
}

describe('arbitrary label values, help texts and values', () => {
  it('read back identically from both formats', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const registry = new Registry({ storage: false });
        register(registry, c, 0);
        const om = parseOpenMetrics(registry.metrics('openmetrics') as string);
        const txt = parseText(registry.metrics('text') as string);
        sameSeries(samplesOf(om), expected(c, 0));
        sameSeries(samplesOf(txt), expected(c, 0));
        expect(om.map((f) => f.help)).toEqual([c.help, c.help]);
        // The text format cannot carry blanks at the start of a help text; Go's parser drops them.
        expect(txt.map((f) => f.help)).toEqual([c.help, c.help].map((h) => h.replace(/^[ \t]+/, '')));
      }),
      { numRuns: 200 },
    );
  });

  it('are accepted by promtool and read back by Prometheus, many cases per run', () => {
    if (!toolAvailable('promtool')) return;
    const seed = Date.now();
    const cases = fc.sample(caseArb, { numRuns: 150, seed });
    const registry = new Registry({ storage: false });
    for (const [i, c] of cases.entries()) register(registry, c, i);
    const check = promtoolCheckMetrics(registry.metrics('text') as string);
    expect(check.output, `seed ${seed}`).toBe('');
    expect(check.ok, `seed ${seed}`).toBe(true);
    const read = promtoolReadOpenMetrics(registry.metrics('openmetrics') as string);
    expect(read.ok, `seed ${seed}: ${read.output}`).toBe(true);
    // Prometheus stores a label with an empty value as no label at all.
    const key = (name: string, labels: Record<string, string>) =>
      JSON.stringify(
        Object.entries({ ...labels, __name__: name })
          .filter(([, value]) => value !== '')
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      );
    const stored = new Map(read.series.map((s) => [key(s.labels.__name__!, s.labels), s.value]));
    const wanted = cases.flatMap((c, i) => expected(c, i));
    expect(stored.size, `seed ${seed}`).toBe(wanted.length);
    for (const [name, labels, value] of wanted) {
      const got = stored.get(key(name, labels));
      expect(
        Object.is(got, value),
        `seed ${seed}: ${name}${JSON.stringify(labels)} stored ${got}, want ${value}`,
      ).toBe(true);
    }
  });

  it('come out in the same order at every scrape: the order series were created in', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const registry = new Registry({ storage: false });
        register(registry, c, 0);
        const first = registry.metrics('text');
        expect(registry.metrics('text')).toBe(first);
        const order = parseText(first as string)[0]!.samples.map((s) => c.labelNames.map((n) => s.labels[n]));
        expect(order).toEqual(c.series.map((s) => s.values));
      }),
      { numRuns: 100 },
    );
  });
});

describe('validation over arbitrary input', () => {
  it('any name outside [a-zA-Z_:][a-zA-Z0-9_:]* is refused with INVALID_NAME, quoted in the message', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 12 }).filter((n) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n)),
        (name) => {
          try {
            new Gauge({ name, help: 'h', registers: [] });
          } catch (error) {
            return (
              isMetricsError(error) &&
              error.code === 'INVALID_NAME' &&
              error.message.includes(JSON.stringify(name))
            );
          }
          return false;
        },
      ),
    );
  });

  it('any label name outside [a-zA-Z_][a-zA-Z0-9_]* is refused, quoted in the message', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 12 }).filter((n) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(n)),
        (label) => {
          try {
            new Gauge({ name: 'g', help: 'h', labelNames: [label], registers: [] });
          } catch (error) {
            return (
              isMetricsError(error) &&
              error.code === 'INVALID_LABEL_NAME' &&
              error.message.includes(JSON.stringify(label))
            );
          }
          return false;
        },
      ),
    );
  });

  it('a counter takes exactly the finite increments >= 0', () => {
    const counter = new Counter({ name: 'c_total', help: 'h', registers: [] });
    fc.assert(
      fc.property(fc.double(), (value) => {
        const before = counter.labels().get();
        let accepted = true;
        try {
          counter.inc(value);
        } catch (error) {
          accepted = false;
          expect(isMetricsError(error) && error.code === 'INVALID_VALUE').toBe(true);
        }
        expect(accepted).toBe(Number.isFinite(value) && value >= 0);
        if (!accepted) expect(counter.labels().get()).toBe(before);
        counter.reset();
      }),
    );
  });
});
