import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DumpedSeries {
  /** Every label, `__name__` included. */
  labels: Record<string, string>;
  value: number;
}

export interface OpenMetricsCheck {
  ok: boolean;
  output: string;
  series: DumpedSeries[];
}

/** One Go `strconv.Quote`d string at the start of `text`: its value and its length in `text`. */
function unquoteGo(text: string): [string, number] {
  if (text[0] !== '"') throw new Error(`expected a quoted string at ${text.slice(0, 40)}`);
  const simple: Record<string, string> = {
    a: '\x07',
    b: '\b',
    f: '\f',
    n: '\n',
    r: '\r',
    t: '\t',
    v: '\v',
    '\\': '\\',
    '"': '"',
  };
  let out = '';
  let i = 1;
  while (text[i] !== '"') {
    const c = text[i];
    if (c === undefined) throw new Error('unterminated quoted string');
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const kind = text[i + 1]!;
    const digits = { x: 2, u: 4, U: 8 }[kind];
    if (digits !== undefined) {
      out += String.fromCodePoint(Number.parseInt(text.slice(i + 2, i + 2 + digits), 16));
      i += 2 + digits;
    } else if (kind in simple) {
      out += simple[kind];
      i += 2;
    } else throw new Error(`unknown Go escape \\${kind}`);
  }
  return [out, i + 1];
}

function parseDumpValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

/** `{__name__="x", a="b"} 1 1700000000000`, as `promtool tsdb dump` prints a sample. */
function parseDumpLine(line: string): DumpedSeries {
  const labels: Record<string, string> = {};
  let rest = line.slice(1);
  while (!rest.startsWith('}')) {
    const eq = rest.indexOf('=');
    const [value, length] = unquoteGo(rest.slice(eq + 1));
    labels[rest.slice(0, eq)] = value;
    rest = rest.slice(eq + 1 + length);
    if (rest.startsWith(', ')) rest = rest.slice(2);
  }
  const [value = ''] = rest.slice(2).split(' ');
  return { labels, value: parseDumpValue(value) };
}

/**
 * Reads OpenMetrics text with Prometheus' own OpenMetrics parser: `promtool tsdb
 * create-blocks-from openmetrics` ingests it (it needs timestamps, so every sample gets one) and
 * `promtool tsdb dump` prints back what Prometheus stored.
 */
export function promtoolReadOpenMetrics(text: string): OpenMetricsCheck {
  const dir = mkdtempSync(join(tmpdir(), 'mmstats-om-'));
  try {
    // Split on \n only: a label value may hold \r or U+2028, which a /m regex would treat as line ends.
    const stamped = text
      .split('\n')
      .map((line) => (line === '' || line.startsWith('#') ? line : `${line} 1700000000`))
      .join('\n');
    writeFileSync(join(dir, 'in.om'), stamped);
    const db = join(dir, 'db');
    const create = spawnSync(
      'promtool',
      ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'in.om'), db],
      {
        encoding: 'utf8',
      },
    );
    if (create.error) throw create.error;
    const created = `${create.stdout}${create.stderr}`.trim();
    if (create.status !== 0) return { ok: false, output: created, series: [] };
    mkdirSync(join(db, 'wal'), { recursive: true });
    const dump = spawnSync('promtool', ['tsdb', 'dump', db], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    if (dump.error) throw dump.error;
    if (dump.status !== 0) return { ok: false, output: dump.stderr, series: [] };
    const series = dump.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map(parseDumpLine);
    return { ok: true, output: created, series };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
