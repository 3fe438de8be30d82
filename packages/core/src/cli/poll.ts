import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { INTEGER_KINDS, parseSignature } from '../file-format/records.js';
import { findMmstatsFiles } from '../file-reader/discover.js';
import { type MmstatsFile, readMmstatsFile } from '../file-reader/reader.js';
import { byteOrderOption, parseCommandArgs, usageError } from './args.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';
import { selection } from './slurp.js';

export const POLL_USAGE = `Usage: mmstats poll FIELD... [-d SECONDS] [-c COUNT] [--app NAME] [PATH...]

vmstat-like: every SECONDS, sums each FIELD over the files of running processes and prints
the change since the previous sample (the first line shows the totals). A FIELD is a label or
the start of labels (web.stats.http_requests_total sums every series of it; slashes are fine:
'http_requests_total{method="GET",route="/users/:id"'); commas separate several, as in
pollstats. A PATH is an existing file or directory, or a quoted glob that matches files; the
first argument that is one starts the PATHs. Without PATH: $MMSTATS_GLOB, else
$MMSTATS_PATH/*.mmstats, else the per-user temp directory. Files are looked up again at every
sample, so workers that start later are counted.

  -d, --delay SECONDS   time between samples (default 1; fractions allowed)
  -c, --count COUNT     stop after COUNT lines (default: until interrupted)
  -n, --headers LINES   repeat the header every LINES lines (default 20, 0 = once)
  --app NAME            only the files of that application (their mmstats.app field)
  --all                 also files of processes that are gone, and the apps' archives
                        (totals that survive restarts)
  --byte-order          native|little|big (default: this machine's)
  -h, --help            this text
`;

interface PollSettings {
  fields: string[];
  targets: string[] | undefined;
  delayMs: number;
  count: number;
  headerEvery: number;
  byteOrder: 'native' | 'little' | 'big';
  select: ReturnType<typeof selection>;
}

interface Sample {
  sums: number[];
  /** Per field: every field that matched had an integer signature. */
  integer: boolean[];
  matched: boolean[];
  files: number;
}

export async function poll(argv: readonly string[], io: CliIo): Promise<number> {
  const settings = pollSettings(argv, io);
  if (typeof settings === 'number') return settings;
  const { width, header, legend } = layout(settings.fields);
  const reported = new Set<string>();
  let previous: number[] | undefined;
  for (let line = 0; line < settings.count; line++) {
    if (line > 0) await sleep(settings.delayMs);
    const sample = takeSample(settings, io, reported);
    if (line === 0) {
      if (sample.files === 0) {
        io.stderr('mmstats: no readable mmstats files to poll\n');
        return EXIT_FAILURE;
      }
      sample.matched.forEach((m, i) => {
        if (!m)
          io.stderr(`mmstats: no numeric field label starts with ${JSON.stringify(settings.fields[i])}\n`);
      });
    }
    if (line === 0) io.stdout(legend);
    if (line === 0 || (settings.headerEvery > 0 && line % settings.headerEvery === 0)) io.stdout(header);
    const cells = sample.sums.map((sum, i) => {
      const delta = sum - (previous?.[i] ?? 0);
      return formatNumber(delta, sample.integer[i]!).padStart(width[i]!);
    });
    io.stdout(`${cells.join(' ')}\n`);
    previous = sample.sums;
  }
  return EXIT_OK;
}

function pollSettings(argv: readonly string[], io: CliIo): PollSettings | number {
  const parsed = parseCommandArgs(
    argv,
    {
      delay: { type: 'string', short: 'd' },
      count: { type: 'string', short: 'c' },
      headers: { type: 'string', short: 'n' },
      'byte-order': { type: 'string' },
      all: { type: 'boolean' },
      app: { type: 'string' },
    },
    POLL_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const { delay = '1', count, headers = '20' } = parsed.values as Record<string, string | undefined>;
  const delaySeconds = Number(delay);
  if (!(delaySeconds > 0 && delaySeconds <= 86_400)) {
    return usageError(io, `-d ${delay}: the delay must be a number of seconds > 0 (e.g. 0.5)`, POLL_USAGE);
  }
  const countValue = count === undefined ? Number.POSITIVE_INFINITY : Number(count);
  if (!(countValue >= 1 && (Number.isInteger(countValue) || countValue === Number.POSITIVE_INFINITY))) {
    return usageError(io, `-c ${count}: the count must be a whole number >= 1`, POLL_USAGE);
  }
  const headerEvery = Number(headers);
  if (!(Number.isInteger(headerEvery) && headerEvery >= 0)) {
    return usageError(io, `-n ${headers}: use a whole number of lines >= 0`, POLL_USAGE);
  }
  const byteOrder = byteOrderOption(parsed.values['byte-order']);
  if (byteOrder === null) return usageError(io, '--byte-order must be native, little or big', POLL_USAGE);
  const firstPath = parsed.positionals.findIndex((a) => isPath(a, io.env));
  const fieldArgs = firstPath < 0 ? parsed.positionals : parsed.positionals.slice(0, firstPath);
  const fields = fieldArgs.flatMap(splitFields).filter((f) => f !== '');
  if (fields.length === 0) return usageError(io, 'name at least one FIELD to poll', POLL_USAGE);
  const targets = firstPath < 0 ? undefined : parsed.positionals.slice(firstPath);
  const select = selection(parsed.values, targets);
  return { fields, targets, delayMs: delaySeconds * 1000, count: countValue, headerEvery, byteOrder, select };
}

/**
 * Commas separate fields, as in pollstats, except inside `{…}`, where they separate the labels
 * of one sample: `a,b{x="1",y="2"}` is two fields.
 */
function splitFields(arg: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"' && depth > 0) quoted = true;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      fields.push(arg.slice(start, i));
      start = i + 1;
    }
  }
  fields.push(arg.slice(start));
  return fields;
}

const MAGIC = /[*?[]/;

/** Field names hold slashes (routes): an argument is a path only if it names something. */
function isPath(arg: string, env: NodeJS.ProcessEnv): boolean {
  if (existsSync(arg)) return true;
  return MAGIC.test(arg) && findMmstatsFiles(arg, env).paths.length > 0;
}

const COLUMNS = 80;

/**
 * Column widths and header. Field names that would make a line wider than a terminal's 80
 * columns are numbered instead, `[1]`, `[2]`, …, with a legend printed once above the first line.
 */
function layout(fields: readonly string[]): { width: number[]; header: string; legend: string } {
  const full = fields.map((f) => Math.max(12, f.length));
  const wide = full.reduce((a, b) => a + b + 1, -1) > COLUMNS;
  const titles = wide ? fields.map((_, i) => `[${i + 1}]`) : fields;
  const width = wide ? fields.map(() => 12) : full;
  const legend = wide ? fields.map((f, i) => `${titles[i]} ${f}\n`).join('') : '';
  return { width, header: `${titles.map((t, i) => t.padStart(width[i]!)).join(' ')}\n`, legend };
}

/** Sums each field over every readable file now; a file skipped is reported once. */
function takeSample(settings: PollSettings, io: CliIo, reported: Set<string>): Sample {
  const { fields } = settings;
  const sample: Sample = {
    sums: fields.map(() => 0),
    integer: fields.map(() => true),
    matched: fields.map(() => false),
    files: 0,
  };
  const { paths, missing } = findMmstatsFiles(settings.targets, io.env);
  const report = (path: string, reason: string) => {
    if (reported.has(path)) return;
    reported.add(path);
    io.stderr(`mmstats: skipping ${path}: ${reason}\n`);
  };
  for (const { path, reason } of missing) report(path, reason);
  for (const path of paths) {
    const result = readMmstatsFile(path, { byteOrder: settings.byteOrder });
    if (!result.ok) report(path, result.reason);
    else if (settings.select(result)?.shown) addFile(sample, fields, result);
  }
  return sample;
}

function addFile(sample: Sample, fields: readonly string[], file: MmstatsFile): void {
  sample.files++;
  for (const field of file.fields) {
    if (typeof field.value === 'string') continue;
    const value = Number(field.value);
    for (let i = 0; i < fields.length; i++) {
      if (!field.label.startsWith(fields[i]!)) continue;
      sample.sums[i]! += value;
      sample.matched[i] = true;
      const kind = parseSignature(field.sig)?.kind;
      if (kind === undefined || !INTEGER_KINDS.has(kind)) sample.integer[i] = false;
    }
  }
}

/** Integers as integers; doubles without binary noise (0.1 + 0.2 prints 0.3). */
function formatNumber(value: number, integer: boolean): string {
  if (integer || Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(12)));
}
