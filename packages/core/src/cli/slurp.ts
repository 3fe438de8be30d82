import { statSync } from 'node:fs';
import { findMmstatsFiles } from '../file-reader/discover.js';
import { appOf } from '../file-reader/file-identity.js';
import { type FileState, fileState } from '../file-reader/liveness.js';
import { type MmstatsField, type MmstatsFile, readMmstatsFile } from '../file-reader/reader.js';
import { defaultGlob } from '../storage/file-names.js';
import { byteOrderOption, parseCommandArgs, usageError } from './args.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';

export const SLURP_USAGE = `Usage: mmstats slurp [--all] [--app NAME] [--json] [PATH...]

Prints every field of every mmstats file: "==> <file>", then one "label value" line per field.
A PATH is a file, a directory (its *.mmstats files) or a quoted glob. Without PATH:
$MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats, else the per-user directory under the temp dir.
Only files of running processes are shown, and files named one by one.

  --all          also files of processes that are gone, and the apps' archives
  --app NAME     only the files of that application (their mmstats.app field)
  --json         one JSON document: {"files":[{"path","pid","app","state","fields",…}],…}
  --byte-order   native|little|big: byte order of the writer (default: this machine's)
  -h, --help     this text

Files that are not valid mmstats version 1 are reported on stderr and skipped.
Exit status: 0 when at least one file was read, 1 when none was, 2 for usage errors.
`;

export function slurp(argv: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs(
    argv,
    {
      json: { type: 'boolean' },
      'byte-order': { type: 'string' },
      all: { type: 'boolean' },
      app: { type: 'string' },
    },
    SLURP_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const byteOrder = byteOrderOption(parsed.values['byte-order']);
  if (byteOrder === null) return usageError(io, '--byte-order must be native, little or big', SLURP_USAGE);
  const targets = parsed.positionals.length > 0 ? parsed.positionals : undefined;
  const { paths, missing } = findMmstatsFiles(targets, io.env);
  const select = selection(parsed.values, targets);
  const files: Shown[] = [];
  const skipped = [...missing];
  const hidden = { dead: 0, archive: 0 };
  for (const path of paths) {
    const result = readMmstatsFile(path, { byteOrder });
    if (!result.ok) skipped.push({ path, reason: result.reason });
    else {
      const chosen = select(result);
      if (chosen === null) continue;
      if (chosen.shown) files.push({ ...result, state: chosen.state });
      else if (chosen.state !== 'live') hidden[chosen.state]++;
    }
  }
  for (const { path, reason } of skipped) io.stderr(`mmstats: skipping ${path}: ${reason}\n`);
  if (hidden.dead + hidden.archive > 0) {
    io.stderr(
      `mmstats: not shown: ${hidden.dead} file(s) of processes that are gone, ${hidden.archive} archive(s); --all shows them\n`,
    );
  }
  for (const file of files)
    for (const warning of file.warnings) io.stderr(`mmstats: ${file.path}: ${warning}\n`);
  if (parsed.values.json === true)
    io.stdout(`${JSON.stringify({ files: files.map(toJson), skipped }, null, 2)}\n`);
  else io.stdout(files.map(formatFile).join('\n'));
  if (files.length > 0) return EXIT_OK;
  if (paths.length === 0 && missing.length === 0) {
    io.stderr(
      `mmstats: no mmstats files match ${targets === undefined ? defaultGlob(io.env) : targets.join(' ')}\n`,
    );
  }
  return EXIT_FAILURE;
}

/** A file as listed, with what became of its writer. */
export type Shown = MmstatsFile & { state: FileState };

/**
 * Which files a listing shows: with `--app`, null for a file of another app; else the file's state
 * and whether it is shown: files of running processes, every file with `--all`, and a file named
 * on the command line whatever its state.
 */
export function selection(
  values: Record<string, string | boolean | undefined>,
  targets: readonly string[] | undefined,
): (file: MmstatsFile) => { state: FileState; shown: boolean } | null {
  const all = values.all === true;
  const app = typeof values.app === 'string' ? values.app : undefined;
  const named = new Set((targets ?? []).filter(isFile));
  return (file) => {
    if (app !== undefined && appOf(file) !== app) return null;
    const state = fileState(file);
    return { state, shown: all || state === 'live' || named.has(file.path) };
  };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Labels longer than this get a line of their own, so listings fit an 80-column terminal. */
const LABEL_COLUMN = 48;

/** slurpstats' layout: labels left-aligned to the longest (up to a column width), then the value. */
export function formatFile(file: MmstatsFile & { state?: FileState }): string {
  const width = Math.min(
    LABEL_COLUMN,
    file.fields.reduce((max, f) => Math.max(max, f.label.length), 0),
  );
  const note = file.state === 'dead' ? ' (process gone)' : file.state === 'archive' ? ' (archive)' : '';
  let out = `==> ${file.path}${note}\n`;
  for (const field of file.fields) {
    const value = `${formatValue(field)}${field.unstable ? ' (unstable)' : ''}`;
    if (field.label.length <= width) out += `  ${field.label.padEnd(width)} ${value}\n`;
    else out += `${wrapLabel(field.label)}  ${' '.repeat(width)} ${value}\n`;
  }
  return out;
}

const COLUMNS = 80;

/**
 * A label too long for one line, broken after the commas between its label pairs: the first line
 * indented by two, the rest by four. A single pair longer than a line stays whole.
 */
function wrapLabel(label: string): string {
  const brace = label.indexOf('{');
  const pieces = brace < 0 ? [label] : [label.slice(0, brace + 1), ...splitPairs(label.slice(brace + 1))];
  let out = '';
  let line = `  ${pieces[0]}`;
  for (const piece of pieces.slice(1)) {
    if (line.length + piece.length > COLUMNS && line.trim() !== '') {
      out += `${line}\n`;
      line = `    ${piece}`;
    } else line += piece;
  }
  return `${out}${line}\n`;
}

/** `a="1",b="x,y"}` → `a="1",`, `b="x,y"}`: commas inside quoted values do not split. */
function splitPairs(text: string): string[] {
  const pieces: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      pieces.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

function formatValue(field: MmstatsField): string {
  const { value } = field;
  // A string is printed as is unless it holds control characters, which would garble the listing.
  if (typeof value === 'string') return /\p{Cc}/u.test(value) ? JSON.stringify(value) : value;
  return String(value);
}

/** JSON has no NaN or infinities: they travel as the strings the exposition formats use. */
function jsonValue(value: MmstatsField['value']): MmstatsField['value'] {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
}

function toJson(file: Shown) {
  return {
    path: file.path,
    pid: file.pid ?? null,
    app: appOf(file) ?? null,
    state: file.state,
    fields: file.fields.map((f) => ({ ...f, value: jsonValue(f.value) })),
    warnings: file.warnings,
  };
}
