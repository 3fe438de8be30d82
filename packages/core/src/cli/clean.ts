import { unlinkSync } from 'node:fs';
import { findMmstatsFiles } from '../file-reader/discover.js';
import { fileLiveness } from '../file-reader/liveness.js';
import { describeFsError, readMmstatsFile } from '../file-reader/reader.js';
import { parseCommandArgs } from './args.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';

export const CLEAN_USAGE = `Usage: mmstats clean [--dry-run] [DIR|FILE|GLOB...]

Removes mmstats files whose writer is gone: the process named by the file's sys.pid field no
longer exists (kill(pid, 0) fails with ESRCH), or that PID now belongs to a process started
later than the file's writer (its mmstats.starttime). A process of another user (EPERM) counts
as alive. Files that cannot be read or have no sys.pid are kept and reported. Without an
argument: $MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats, else the per-user temp directory.

Counters and histograms of a removed file no longer count toward the totals that
'mmstats slurp' and the /metrics of a cluster show.

  --dry-run    print what would be removed, remove nothing
  -h, --help   this text
`;

export function clean(argv: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' } }, CLEAN_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const dryRun = parsed.values['dry-run'] === true;
  const targets = parsed.positionals.length > 0 ? parsed.positionals : undefined;
  const { paths, missing } = findMmstatsFiles(targets, io.env);
  let status = missing.length > 0 ? EXIT_FAILURE : EXIT_OK;
  for (const { path, reason } of missing) io.stderr(`mmstats: skipping ${path}: ${reason}\n`);
  let removed = 0;
  let alive = 0;
  for (const path of paths) {
    const file = readMmstatsFile(path);
    if (!file.ok) {
      io.stderr(`mmstats: keeping ${path}: ${file.reason}\n`);
      continue;
    }
    if (file.pid === undefined) {
      io.stderr(`mmstats: keeping ${path}: it has no sys.pid field\n`);
      continue;
    }
    const liveness = fileLiveness(file);
    if (liveness === 'alive') alive++;
    if (liveness === 'unknown')
      io.stderr(`mmstats: keeping ${path}: cannot tell whether pid ${file.pid} runs\n`);
    if (liveness !== 'dead') continue;
    if (!dryRun) {
      try {
        unlinkSync(path);
      } catch (error) {
        io.stderr(`mmstats: cannot remove ${path}: ${describeFsError(error)}\n`);
        status = EXIT_FAILURE;
        continue;
      }
    }
    removed++;
    io.stdout(`${dryRun ? 'would remove' : 'removed'} ${path} (pid ${file.pid} is not running)\n`);
  }
  io.stdout(`${dryRun ? 'would remove' : 'removed'} ${removed} file(s), ${alive} alive\n`);
  return status;
}
