import { basename } from 'node:path';
import type { MmstatsFile } from '../file-reader/reader.js';

/** The static field in which writers that know their application name it. */
const APP_FIELD = 'mmstats.app';

/**
 * The app a file belongs to, the one place `mmstats web` and `mmstats serve` decide it: the
 * file's `mmstats.app` field when it has one, else the `{CMD}` part of the default file name
 * `mmstats-{CMD}-{PID}-{TID}.mmstats` (what the cluster view groups by too).
 */
export function appOf(file: Pick<MmstatsFile, 'path' | 'pid' | 'fields'>): string {
  const identity = file.fields.find((f) => f.label === APP_FIELD)?.value;
  if (typeof identity === 'string' && identity !== '') return identity;
  const name = basename(file.path).replace(/\.mmstats$/, '');
  const stem = name.startsWith('mmstats-') ? name.slice('mmstats-'.length) : name;
  // The PID from sys.pid marks where the command name ends, whatever dashes the name holds.
  if (file.pid !== undefined) {
    const at = stem.indexOf(`-${file.pid}-`);
    if (at > 0) return stem.slice(0, at);
  }
  const numbered = /^(.+?)-\d+-\d+(?:-\d+)?$/.exec(stem);
  return numbered?.[1] ?? (stem === '' ? name : stem);
}
