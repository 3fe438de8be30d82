import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { MetricsError } from '../errors.js';

/** Static string field naming the application a file belongs to (docs/file-format.md#application-identity). */
export const APP_LABEL = 'mmstats.app';
/**
 * Static string field with the writer's start time in clock ticks since boot (field 22 of
 * `/proc/<pid>/stat`): with the PID it tells a live writer from a new process that got its PID.
 */
export const START_LABEL = 'mmstats.starttime';

/** Longest application name we accept: it is stored in a file and shown in listings. */
const MAX_APP_LENGTH = 200;

/** Where an application name came from, for diagnostics and the README's precedence rule. */
export type AppSource = 'option' | 'MMSTATS_APP' | 'pm2' | 'main-module';

export interface AppIdentity {
  app: string;
  source: AppSource;
}

export function checkAppName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_APP_LENGTH) {
    throw new MetricsError(
      'INVALID_OPTION',
      `${what} ${JSON.stringify(value)} is invalid: pass a non-empty application name of at most ${MAX_APP_LENGTH} characters, such as "checkout".`,
    );
  }
  return value;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** The script Node runs, resolved through symlinks; PM2's wrapper is seen through via `pm_exec_path`. */
function mainModule(env: NodeJS.ProcessEnv): string | undefined {
  const script = env.pm_exec_path || process.argv[1];
  if (script === undefined || script === '') return undefined;
  const absolute = resolve(script);
  try {
    return realpathSync(absolute);
  } catch {
    return absolute;
  }
}

/**
 * Which application this process belongs to, the key every cluster total is grouped by: the
 * `app` option, else `$MMSTATS_APP`, else PM2's own name and namespace of the app (PM2 puts both
 * in the environment of every instance), else the main module's absolute path, made short and
 * safe: `server-3f2a9c01de` for `/srv/shop/server.js`. Two projects that both run `server.js`
 * get different names; the instances of one program, in any cluster, get the same.
 */
export function resolveApp(option?: string, env: NodeJS.ProcessEnv = process.env): AppIdentity {
  if (option !== undefined) return { app: checkAppName(option, 'storage.app'), source: 'option' };
  if (env.MMSTATS_APP !== undefined && env.MMSTATS_APP !== '') {
    return { app: checkAppName(env.MMSTATS_APP, 'MMSTATS_APP'), source: 'MMSTATS_APP' };
  }
  if (env.pm_id !== undefined && typeof env.name === 'string' && env.name !== '') {
    const namespace = env.namespace !== undefined && env.namespace !== '' ? env.namespace : 'default';
    return { app: `pm2:${namespace}/${env.name}`.slice(0, MAX_APP_LENGTH), source: 'pm2' };
  }
  const main = mainModule(env);
  // `node -e` and the REPL have no script: the working directory tells projects apart.
  const key = main ?? `${process.cwd()}:${basename(process.argv0)}`;
  const stem = basename(main ?? process.argv0).replace(/\.(c|m)?[jt]s$/, '');
  return { app: `${sanitize(stem).slice(0, 60) || 'node'}-${shortHash(key)}`, source: 'main-module' };
}

function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** A name for the app in file names: readable, and unique because of the hash of the whole name. */
export function appSlug(app: string): string {
  return `${sanitize(app.replace(/^pm2:/, '')).slice(0, 60)}-${shortHash(app)}`;
}

/**
 * Start time of a process in clock ticks since boot, as a decimal string, from `/proc/<pid>/stat`;
 * undefined where there is no procfs or no such process. The command name in field 2 may hold
 * spaces and parentheses, so fields are counted from the last `)`.
 */
export function startTimeOf(pid: number | 'self'): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the name start with field 3 (state); starttime is field 22.
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

let ownStart: string | undefined | null = null;

/** This process' start time (see `startTimeOf`), read once. */
export function ownStartTime(): string | undefined {
  if (ownStart === null) ownStart = startTimeOf('self');
  return ownStart;
}
