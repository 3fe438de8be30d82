import { findMmstatsFiles } from '../file-reader/discover.js';
import { type MmstatsField, type MmstatsFile, readMmstatsFile } from '../file-reader/reader.js';
import { defaultGlob } from '../storage/file-names.js';
import { byteOrderOption, parseCommandArgs, usageError } from './args.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';

export const SLURP_USAGE = `Usage: mmstats slurp [--json] [--byte-order native|little|big] [PATH...]

Prints every field of every mmstats file: "==> <file>", then one "label value" line per field.
A PATH is a file, a directory (its *.mmstats files) or a quoted glob. Without PATH:
$MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats, else the per-user directory under the temp dir.

  --json         one JSON document: {"files":[{"path","pid","fields","warnings"}],"skipped":[…]}
  --byte-order   byte order of the writer (default: this machine's)
  -h, --help     this text

Files that are not valid mmstats version 1 are reported on stderr and skipped.
Exit status: 0 when at least one file was read, 1 when none was, 2 for usage errors.
`;

export function slurp(argv: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs(
    argv,
    { json: { type: 'boolean' }, 'byte-order': { type: 'string' } },
    SLURP_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const byteOrder = byteOrderOption(parsed.values['byte-order']);
  if (byteOrder === null) return usageError(io, '--byte-order must be native, little or big', SLURP_USAGE);
  const targets = parsed.positionals.length > 0 ? parsed.positionals : undefined;
  const { paths, missing } = findMmstatsFiles(targets, io.env);
  const files: MmstatsFile[] = [];
  const skipped = [...missing];
  for (const path of paths) {
    const result = readMmstatsFile(path, { byteOrder });
    if (result.ok) files.push(result);
    else skipped.push({ path, reason: result.reason });
  }
  for (const { path, reason } of skipped) io.stderr(`mmstats: skipping ${path}: ${reason}\n`);
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

/** slurpstats' layout: labels left-aligned to the longest, then the value. */
export function formatFile(file: MmstatsFile): string {
  const width = file.fields.reduce((max, f) => Math.max(max, f.label.length), 0);
  let out = `==> ${file.path}\n`;
  for (const field of file.fields) {
    out += `  ${field.label.padEnd(width)} ${formatValue(field)}${field.unstable ? ' (unstable)' : ''}\n`;
  }
  return out;
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

function toJson(file: MmstatsFile) {
  return {
    path: file.path,
    pid: file.pid ?? null,
    fields: file.fields.map((f) => ({ ...f, value: jsonValue(f.value) })),
    warnings: file.warnings,
  };
}
