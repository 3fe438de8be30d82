import { lstatSync, mkdirSync, statSync } from 'node:fs';

/** Why a directory cannot take our files; the message says how to fix it. */
export class DirectoryRefused extends Error {}

function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/**
 * The per-user default directory under the shared temp dir (docs/file-format.md#creating-a-file): created 0700 when
 * missing, and trusted only when it is a real directory (not a symlink someone planted), ours,
 * and not writable by group or others, so nobody else can swap our files.
 */
export function preparePrivateDirectory(directory: string): void {
  try {
    mkdirSync(directory, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(directory);
  const fix = 'Remove it (it is recreated private), or set MMSTATS_PATH or the storage.directory option.';
  if (stat.isSymbolicLink()) throw new DirectoryRefused(`it is a symbolic link. ${fix}`);
  if (!stat.isDirectory()) throw new DirectoryRefused(`it is not a directory. ${fix}`);
  const uid = ownUid();
  if (uid !== undefined && stat.uid !== uid) {
    throw new DirectoryRefused(`it belongs to uid ${stat.uid}, not to this process (uid ${uid}). ${fix}`);
  }
  if (uid !== undefined && (stat.mode & 0o022) !== 0) {
    throw new DirectoryRefused(
      `it is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}). ${fix}`,
    );
  }
}

/** A directory the user named: used as it is, never created (a typo should not go unnoticed). */
export function checkChosenDirectory(directory: string): void {
  if (!statSync(directory).isDirectory()) {
    throw new DirectoryRefused('it is not a directory. Point storage.directory or MMSTATS_PATH at one.');
  }
}
