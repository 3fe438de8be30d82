import { tmpdir, userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { mmapBinding } from './mmap.js';

/** How many numbered names (`-2`, `-3`, …) a process tries before it gives up on a new file. */
export const NAME_ATTEMPTS = 1000;

/** Default file name template (docs/file-format.md #file-names-and-directories and #creating-a-file). */
export const DEFAULT_FILE_TEMPLATE = 'mmstats-{CMD}-{PID}-{TID}.mmstats';

function uid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : userInfo().uid;
}

/** `$MMSTATS_PATH`, else a per-user directory under the OS temp dir. */
export function defaultDirectory(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MMSTATS_PATH;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(tmpdir(), `mmstats-${uid()}`);
}

/** Glob readers use: `$MMSTATS_GLOB`, else `<directory>/*.mmstats`. */
export function defaultGlob(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.MMSTATS_GLOB;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  return join(defaultDirectory(env), '*.mmstats');
}

/** The kernel thread id when the binding is built; else the PID on the main thread (as Linux numbers it). */
export function threadIdentifier(): number {
  const binding = mmapBinding();
  if (binding !== null) return binding.gettid();
  return isMainThread ? process.pid : process.pid * 1000 + threadId;
}

/** The command name mmstats puts in `{CMD}`: basename of the script, else of the executable. */
export function commandName(): string {
  const script = process.argv[1];
  const name = basename(script ?? process.argv0).replace(/\.(c|m)?[jt]s$/, '');
  return name.replace(/[^A-Za-z0-9_.-]/g, '_') || 'node';
}

/** Expands `{CMD}`, `{PID}`, `{TID}` in `$MMSTATS_FILES` or the default template. */
export function fileName(env: NodeJS.ProcessEnv = process.env): string {
  const template =
    env.MMSTATS_FILES !== undefined && env.MMSTATS_FILES !== '' ? env.MMSTATS_FILES : DEFAULT_FILE_TEMPLATE;
  return template
    .replaceAll('{CMD}', commandName())
    .replaceAll('{PID}', String(process.pid))
    .replaceAll('{TID}', String(threadIdentifier()));
}

/**
 * The `n`-th file name of this process (docs/file-format.md#appending-fields): the first keeps the plain name, later ones
 * (a second registry, or the next file when one is full) get `-n` before `.mmstats`, so both
 * reader globs (`mmstats-*`, `*.mmstats`) still find them.
 */
export function numberedFileName(name: string, n: number): string {
  if (n <= 1) return name;
  return name.endsWith('.mmstats') ? `${name.slice(0, -'.mmstats'.length)}-${n}.mmstats` : `${name}-${n}`;
}
