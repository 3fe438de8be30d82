import { existsSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { archivePath, isArchivePath } from '../file-reader/app-files.js';
import { foldIntoArchive } from '../file-reader/archive.js';
import { findMmstatsFiles } from '../file-reader/discover.js';
import { appOf } from '../file-reader/file-identity.js';
import { fileLiveness } from '../file-reader/liveness.js';
import { describeFsError, type MmstatsFile, readMmstatsFile } from '../file-reader/reader.js';
import { parseCommandArgs } from './args.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK } from './io.js';

export const CLEAN_USAGE = `Usage: mmstats clean [--dry-run] [DIR|FILE|GLOB...]

Removes mmstats files whose writer is gone: the process named by the file's sys.pid field no
longer exists (kill(pid, 0) fails with ESRCH), or that PID now belongs to a process started
later than the file's writer (its mmstats.starttime). A process of another user (EPERM) counts
as alive. Files that cannot be read or have no sys.pid are kept and reported. Without an
argument: $MMSTATS_GLOB, else $MMSTATS_PATH/*.mmstats, else the per-user temp directory.

The files of an app that keeps an archive (cluster and PM2 workers do) are folded into it, as
the app's next scrape would: their counts keep counting. Counters and histograms of any other
removed file no longer count toward the totals that 'mmstats slurp' shows.

  --dry-run    print what would be removed, remove nothing
  -h, --help   this text
`;

/** The archive a dead file belongs in: its app keeps one next to it. */
function archiveOf(file: MmstatsFile): { directory: string; app: string; archive: string } | undefined {
  const app = appOf(file);
  if (app === undefined) return undefined;
  const directory = dirname(file.path);
  const archive = archivePath(directory, app);
  return existsSync(archive) ? { directory, app, archive } : undefined;
}

export function clean(argv: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs(argv, { 'dry-run': { type: 'boolean' } }, CLEAN_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const dryRun = parsed.values['dry-run'] === true;
  const targets = parsed.positionals.length > 0 ? parsed.positionals : undefined;
  const { paths, missing } = findMmstatsFiles(targets, io.env);
  let status = missing.length > 0 ? EXIT_FAILURE : EXIT_OK;
  for (const { path, reason } of missing) io.stderr(`mmstats: skipping ${path}: ${reason}\n`);
  let removed = 0;
  let folded = 0;
  let alive = 0;
  const folds = new Map<string, { directory: string; app: string; files: MmstatsFile[] }>();
  for (const path of paths) {
    if (isArchivePath(path)) continue;
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
    const into = archiveOf(file);
    if (into !== undefined) {
      const fold = folds.get(into.archive) ?? { directory: into.directory, app: into.app, files: [] };
      fold.files.push(file);
      folds.set(into.archive, fold);
      continue;
    }
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
  for (const [archive, { directory, app, files }] of folds) {
    if (!dryRun && foldIntoArchive(directory, app, { waitMs: 1000 }).locked) {
      io.stderr(`mmstats: not folding into ${archive}: another process holds its lock; try again\n`);
      status = EXIT_FAILURE;
      continue;
    }
    for (const file of files) {
      io.stdout(
        `${dryRun ? 'would fold' : 'folded'} ${file.path} into ${archive} (pid ${file.pid} is not running)\n`,
      );
    }
    folded += files.length;
  }
  const verb = dryRun ? 'would remove' : 'removed';
  const foldNote = folded === 0 ? '' : `, ${dryRun ? 'would fold' : 'folded'} ${folded} into archives`;
  io.stdout(`${verb} ${removed} file(s)${foldNote}, ${alive} alive\n`);
  return status;
}
