/**
 * Small, strict parsers for the two exposition formats, written from the specifications rather
 * than from our renderer, so tests can read output back and compare values:
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 * https://github.com/prometheus/OpenMetrics/blob/main/specification/OpenMetrics.md
 * They throw on anything the specification does not allow.
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  name: string;
  type: string;
  help: string | undefined;
  unit: string | undefined;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** Undoes backslash escapes; `allowed` lists the letters that may follow a backslash. */
function unescapeText(text: string, allowed: string, where: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\') {
      // OpenMetrics' escaped-string has no bare quote; where `\"` is an escape, `"` must be one.
      if (c === '"' && allowed.includes('"')) throw new Error(`unescaped quote in ${where}`);
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === undefined || !allowed.includes(next)) throw new Error(`bad escape \\${next} in ${where}`);
    out += next === 'n' ? '\n' : next;
  }
  return out;
}

/** Go's ParseFloat as Prometheus uses it, restricted to what the formats allow. */
function parseValue(text: string, line: string): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text))
    throw new Error(`bad value "${text}" in: ${line}`);
  return Number(text);
}

/** `name{a="b",…} value`: the part both formats share. */
function parseSample(line: string): ParsedSample {
  const name = NAME.exec(line)?.[0];
  if (name === undefined) throw new Error(`no metric name in: ${line}`);
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    rest = rest.slice(1);
    while (!rest.startsWith('}')) {
      const label = LABEL_NAME.exec(rest)?.[0];
      if (label === undefined || rest[label.length] !== '=' || rest[label.length + 1] !== '"')
        throw new Error(`bad label in: ${line}`);
      const value = /^"((?:[^"\\]|\\.)*)"/.exec(rest.slice(label.length + 1));
      if (value === null) throw new Error(`unterminated label value in: ${line}`);
      if (label in labels) throw new Error(`label ${label} twice in: ${line}`);
      labels[label] = unescapeText(value[1]!, '\\"n', line);
      rest = rest.slice(label.length + 1 + value[0].length);
      if (rest.startsWith(',')) rest = rest.slice(1);
      else if (!rest.startsWith('}')) throw new Error(`expected , or } in: ${line}`);
    }
    rest = rest.slice(1);
  }
  const parts = rest.split(' ');
  if (parts[0] !== '' || parts.length !== 2) throw new Error(`expected one space and a value in: ${line}`);
  return { name, labels, value: parseValue(parts[1]!, line) };
}

const SUFFIXES: Record<string, readonly string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  unknown: [''],
};

function familyOf(families: ParsedFamily[], name: string, seen: Set<string>): ParsedFamily {
  const last = families[families.length - 1];
  if (last?.name === name) return last;
  if (seen.has(name)) throw new Error(`family ${name} is interleaved with another one`);
  seen.add(name);
  const family: ParsedFamily = { name, type: 'unknown', help: undefined, unit: undefined, samples: [] };
  families.push(family);
  return family;
}

function checkHistogram(family: ParsedFamily): void {
  const groups = new Map<string, ParsedSample[]>();
  for (const s of family.samples) {
    if (s.name !== `${family.name}_bucket`) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`bucket of ${family.name} without le`);
    const key = JSON.stringify(rest);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, buckets] of groups) {
    const bounds = buckets.map((b) => parseValue(b.labels.le!, b.labels.le!));
    if (bounds[bounds.length - 1] !== Number.POSITIVE_INFINITY)
      throw new Error(`${family.name}${key}: no +Inf bucket`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`${family.name}${key}: le not increasing`);
      if (buckets[i]!.value < buckets[i - 1]!.value)
        throw new Error(`${family.name}${key}: buckets not cumulative`);
    }
    const count = family.samples.find(
      (s) => s.name === `${family.name}_count` && JSON.stringify(s.labels) === key,
    );
    if (count !== undefined && count.value !== buckets[buckets.length - 1]!.value)
      throw new Error(`${family.name}${key}: _count differs from the +Inf bucket`);
  }
}

// Lines end at \n only: \r, U+2028 and the like are ordinary characters in both formats, hence
// the `s` flag on every pattern that spans the rest of a line.

/** Strict OpenMetrics 1.0.0 text: families, suffixes by type, UNIT, escapes, `# EOF`. */
export function parseOpenMetrics(text: string): ParsedFamily[] {
  if (!text.endsWith('# EOF\n')) throw new Error('OpenMetrics text must end with "# EOF\\n"');
  const lines = text.slice(0, -'# EOF\n'.length).split('\n');
  if (lines.pop() !== '') throw new Error('every line must end with \\n');
  const families: ParsedFamily[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const meta = /^# (HELP|TYPE|UNIT) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/s.exec(line);
    if (meta) {
      const family = familyOf(families, meta[2]!, seen);
      if (family.samples.length > 0) throw new Error(`metadata after samples: ${line}`);
      if (meta[1] === 'HELP') family.help = unescapeText(meta[3]!, '\\"n', line);
      else if (meta[1] === 'UNIT') family.unit = meta[3]!;
      else if (meta[3]! in SUFFIXES) family.type = meta[3]!;
      else throw new Error(`unknown type in: ${line}`);
      continue;
    }
    if (line.startsWith('#')) throw new Error(`unexpected comment: ${line}`);
    const sample = parseSample(line);
    const family = families[families.length - 1];
    const suffix =
      family && sample.name.startsWith(family.name) ? sample.name.slice(family.name.length) : null;
    if (family === undefined || suffix === null || !SUFFIXES[family.type]!.includes(suffix))
      throw new Error(`sample ${sample.name} does not belong to family ${family?.name} (${family?.type})`);
    if (family.type === 'counter' && !(sample.value >= 0))
      throw new Error(`negative or NaN counter: ${line}`);
    family.samples.push(sample);
  }
  for (const family of families) {
    if (family.unit !== undefined && !family.name.endsWith(`_${family.unit}`))
      throw new Error(`family ${family.name} does not end with its unit ${family.unit}`);
    const keys = family.samples.map((s) => s.name + JSON.stringify(s.labels));
    if (new Set(keys).size !== keys.length) throw new Error(`duplicate series in ${family.name}`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

const TEXT_SUFFIXES: Record<string, readonly string[]> = {
  counter: [''],
  gauge: [''],
  histogram: ['_bucket', '_count', '_sum'],
  untyped: [''],
};

/**
 * Prometheus text format 0.0.4 as Go's expfmt reads it: HELP escapes only `\\` and `\n`, and the
 * blanks before a help text are separators, so they do not come back.
 */
export function parseText(text: string): ParsedFamily[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('text must end with \\n');
  const families: ParsedFamily[] = [];
  const seen = new Set<string>();
  for (const line of text.split('\n').slice(0, -1)) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: (.*))?$/s.exec(line);
    if (meta) {
      const family = familyOf(families, meta[2]!, seen);
      if (family.samples.length > 0) throw new Error(`metadata after samples: ${line}`);
      const rest = (meta[3] ?? '').replace(/^[ \t]+/, '');
      if (meta[1] === 'HELP') family.help = unescapeText(rest, '\\n', line);
      else if (rest in TEXT_SUFFIXES) family.type = rest;
      else throw new Error(`unknown type in: ${line}`);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = parseSample(line);
    let family = families[families.length - 1];
    const suffix =
      family && sample.name.startsWith(family.name) ? sample.name.slice(family.name.length) : null;
    if (family === undefined || suffix === null || !(TEXT_SUFFIXES[family.type] ?? ['']).includes(suffix))
      family = familyOf(families, sample.name, seen);
    family.samples.push(sample);
  }
  for (const family of families) if (family.type === 'histogram') checkHistogram(family);
  return families;
}
