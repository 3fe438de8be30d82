import { statSync } from 'node:fs';
import { defaultDirectory, defaultGlob } from '../storage/file-names.js';

export interface Targets {
  /** What to hand `findMmstatsFiles`: undefined for its default ($MMSTATS_GLOB, $MMSTATS_PATH, …). */
  targets: string[] | undefined;
  /** For people: the directories or patterns read. */
  shown: string;
}

const MAGIC = /[*?[]/;

/**
 * The PATH arguments of a long-running command, checked once at start: a directory that does
 * not exist now is more likely a typo than one that will appear, so it is an error saying which
 * one and how to fix it. Once running, files and directories may come and go.
 */
export function checkTargets(positionals: readonly string[], env: NodeJS.ProcessEnv): Targets | string {
  if (positionals.length === 0) {
    if (env.MMSTATS_GLOB !== undefined && env.MMSTATS_GLOB !== '')
      return { targets: undefined, shown: defaultGlob(env) };
    const dir = defaultDirectory(env);
    if (!isDirectory(dir)) {
      const from = env.MMSTATS_PATH ? '$MMSTATS_PATH' : 'the default directory';
      return (
        `${from} ${dir} does not exist: start the app first (it creates the directory), ` +
        'or name the directory the app writes to (its MMSTATS_PATH) as PATH.'
      );
    }
    return { targets: undefined, shown: dir };
  }
  for (const target of positionals) {
    if (MAGIC.test(target)) continue;
    try {
      statSync(target);
    } catch {
      return (
        `${target} does not exist: name the directory the app writes its mmstats files to ` +
        '(its MMSTATS_PATH), a file, or a quoted glob.'
      );
    }
  }
  return { targets: [...positionals], shown: positionals.join(' ') };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
