import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { INTEGER_KINDS, parseSignature } from '../file-format/records.js';
import { findMmstatsFiles } from '../file-reader/discover.js';
import { type MmstatsFile, readMmstatsFile } from '../file-reader/reader.js';
import { byteOrderOption, parseCommandArgs, usageError } from './args.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';

export const POLL_USAGE = `Usage: mmstats poll FIELD... [-d SECONDS] [-c COUNT] [-n LINES] [PATH...]

vmstat-like: every SECONDS, sums each FIELD over all files and prints the change since the
previous sample (the first line shows the totals). A FIELD is a label or the start of labels
(web.stats.http_requests_total sums every series of it); commas separate several, as in
pollstats. A PATH is a file, a directory or a quoted glob; an argument is a PATH when it
contains "/" or names an existing file or directory, and so is every argument after it.
Without PATH: $MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats, else the per-user temp directory.
Files are looked up again at every sample, so workers that start later are counted.

  -d, --delay SECONDS   time between samples (default 1; fractions allowed)
  -c, --count COUNT     stop after COUNT lines (default: until interrupted)
  -n, --headers LINES   repeat the header every LINES lines (default 20, 0 = once)
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
  const width = settings.fields.map((f) => Math.max(12, f.length));
  const header = `${settings.fields.map((f, i) => f.padStart(width[i]!)).join(' ')}\n`;
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
  const firstPath = parsed.positionals.findIndex((a) => a.includes('/') || existsSync(a));
  const fieldArgs = firstPath < 0 ? parsed.positionals : parsed.positionals.slice(0, firstPath);
  const fields = fieldArgs.flatMap((a) => a.split(',')).filter((f) => f !== '');
  if (fields.length === 0) return usageError(io, 'name at least one FIELD to poll', POLL_USAGE);
  const targets = firstPath < 0 ? undefined : parsed.positionals.slice(firstPath);
  return { fields, targets, delayMs: delaySeconds * 1000, count: countValue, headerEvery, byteOrder };
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
    else addFile(sample, fields, result);
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
