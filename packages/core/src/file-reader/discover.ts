import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { MetricsError } from '../errors.js';
import { defaultGlob } from '../storage/file-names.js';
import {
  describeFsError,
  type MmstatsFile,
  type MmstatsReadOptions,
  type MmstatsReadResult,
  readMmstatsFile,
} from './reader.js';

export interface MmstatsSkippedFile {
  path: string;
  reason: string;
}

export interface MmstatsDirectory {
  files: MmstatsFile[];
  skipped: MmstatsSkippedFile[];
}

export interface MmstatsDiscoverOptions extends MmstatsReadOptions {
  /** Environment for `$MMSTATS_GLOB` / `$MMSTATS_PATH` when no target is given; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** @internal How a file is read instead of the full reader: a scraper's CachedReader. */
  read?: (path: string) => MmstatsReadResult;
}

const MAGIC = /[*?[]/;

/**
 * Paths named by targets: a directory stands for its `*.mmstats` files (docs/file-format.md#file-names-and-directories), a pattern is
 * expanded like Python's `glob.glob`, a file is taken as is whatever its name. No target means
 * `$MMSTATS_GLOB`, else `<$MMSTATS_PATH or the per-user temp directory>/*.mmstats`.
 */
export function findMmstatsFiles(
  targets?: string | readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { paths: string[]; missing: MmstatsSkippedFile[] } {
  const list = targets === undefined ? [] : typeof targets === 'string' ? [targets] : [...targets];
  for (const target of list) {
    if (typeof target !== 'string' || target === '') {
      throw new MetricsError(
        'INVALID_OPTION',
        `mmstats targets must be non-empty paths, got ${JSON.stringify(target)}.`,
      );
    }
  }
  if (list.length === 0) list.push(defaultGlob(env));
  const paths = new Set<string>();
  const missing: MmstatsSkippedFile[] = [];
  for (const target of list) {
    if (MAGIC.test(target)) {
      for (const path of expandGlob(target)) paths.add(path);
      continue;
    }
    try {
      if (statSync(target).isDirectory()) {
        for (const path of expandGlob(join(target, '*.mmstats'))) paths.add(path);
      } else paths.add(target);
    } catch (error) {
      missing.push({ path: target, reason: describeFsError(error) });
    }
  }
  return { paths: [...paths], missing };
}

/** Reads every file the targets name; malformed and missing ones are listed in `skipped`, never thrown. */
export function readMmstatsDirectory(
  targets?: string | readonly string[],
  options: MmstatsDiscoverOptions = {},
): MmstatsDirectory {
  const { paths, missing } = findMmstatsFiles(targets, options.env);
  const files: MmstatsFile[] = [];
  const skipped = [...missing];
  for (const path of paths) {
    const result = options.read?.(path) ?? readMmstatsFile(path, options);
    if (result.ok) files.push(result);
    else skipped.push({ path: result.path, reason: result.reason });
  }
  return { files, skipped };
}

/** Sorted matches of a pattern whose components may hold `*`, `?` and `[...]`; hidden names need a leading `.`. */
export function expandGlob(pattern: string): string[] {
  const separators = sep === '\\' ? /[\\/]+/ : /\/+/;
  const parts = pattern.split(separators);
  let roots = [isAbsolute(pattern) ? parts.shift()! + sep : '.'];
  if (!isAbsolute(pattern) && parts[0] === '.') parts.shift();
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const root of roots) {
      if (!MAGIC.test(part)) next.push(join(root, part));
      else next.push(...matchEntries(root, part, last));
    }
    roots = next;
  }
  // `join('.', 'a')` is `a`: relative patterns give relative paths, as Python's glob does.
  return roots.filter((path) => exists(path)).sort();
}

function matchEntries(dir: string, part: string, last: boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const re = componentRegExp(part);
  const hidden = part.startsWith('.');
  return names
    .filter((name) => re.test(name) && (hidden || !name.startsWith('.')))
    .map((name) => join(dir, name))
    .filter((path) => last || isDirectory(path));
}

/** One path component of a glob as an anchored RegExp. */
function componentRegExp(part: string): RegExp {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      // A `]` right after `[` or `[!` belongs to the set (Python's fnmatch).
      let from = i + 1;
      if (part[from] === '!') from++;
      if (part[from] === ']') from++;
      const close = part.indexOf(']', from);
      if (close < 0) source += '\\[';
      else {
        let set = part.slice(i + 1, close);
        const negated = set.startsWith('!');
        if (negated) set = set.slice(1);
        // As in Python's fnmatch, `]` first in a set, `^` and `\` are characters of the set.
        source += `[${negated ? '^' : ''}${set.replace(/[\\\]^[]/g, '\\$&')}]`;
        i = close;
      }
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
