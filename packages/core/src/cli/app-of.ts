import { basename } from 'node:path';
import type { MmstatsFile } from '../file-reader/reader.js';

/**
 * The app a file belongs to, the one place `mmstats web` and `mmstats serve` decide it. For now
 * it is the `{CMD}` part of the default file name `mmstats-{CMD}-{PID}-{TID}.mmstats` (what the
 * cluster view groups by too); when files carry an application identity field, read it here.
 */
export function appOf(file: Pick<MmstatsFile, 'path' | 'pid'>): string {
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
