import { MetricsError } from '../errors.js';
import { defaultDirectory } from '../storage/file-names.js';
import type { AnyFieldSpec } from './field-spec.js';

/** Declared fields by property name; file order is declaration order. */
export type FieldMap = Readonly<Record<string, AnyFieldSpec>>;

/** Options of createMmStats, mmstats' `MmStats(label_prefix=…, path=…, filename=…)`. */
export interface MmStatsOptions<F extends FieldMap> {
  /** The fields, e.g. `{ hits: field.counter(), status2xx: field.uint({ label: 'status.2XX' }) }`. */
  fields: F;
  /** Put before every label, default fields included, e.g. `'web.stats.'`; default none. */
  labelPrefix?: string;
  /**
   * Add mmstats' default fields (`sys.pid`, `sys.tid`, `sys.uid`, `sys.gid`, `org.nodejs.version`,
   * `sys.created`), as `MmStats` did; false gives a bare `BaseMmStats`. Default true.
   */
  defaultFields?: boolean;
  /**
   * Directory of the file; default `$MMSTATS_PATH`, else `<tmpdir>/mmstats-<uid>` (created 0700).
   * A directory you name must exist.
   */
  directory?: string;
  /**
   * File name; `{CMD}`, `{PID}` and `{TID}` are filled in. Default `$MMSTATS_FILES`, else
   * `mmstats-{CMD}-{PID}-{TID}.mmstats`, numbered (`-2`, …) when taken. A name you give replaces a
   * file left there (by a process that ended), as mmstats did.
   */
  filename?: string;
  /** `'auto'` (default): a shared mapping when the native binding loads; `'fallback'`: every write is a pwrite. */
  backend?: 'auto' | 'fallback';
  /** File mode; default 0o600. */
  mode?: number;
  /** Remove the file when the process exits (or the object is garbage-collected); default true. */
  removeOnExit?: boolean;
}

export interface ResolvedOptions {
  fields: FieldMap;
  labelPrefix: string;
  defaultFields: boolean;
  directory: string;
  /** The default per-user directory: created 0700 and checked before use (docs/file-format.md#creating-a-file). */
  privateDirectory: boolean;
  filename: string | undefined;
  backend: 'auto' | 'fallback';
  mode: number;
  removeOnExit: boolean;
}

function invalid(option: string, value: unknown, fix: string): MetricsError {
  const shown = typeof value === 'function' ? 'function' : (JSON.stringify(value) ?? String(value));
  return new MetricsError('INVALID_OPTION', `createMmStats: ${option} ${shown} is invalid: ${fix}`);
}

function optional<T>(
  value: unknown,
  option: string,
  ok: (value: unknown) => boolean,
  fix: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!ok(value)) throw invalid(option, value, fix);
  return value as T;
}

const isBoolean = (v: unknown) => typeof v === 'boolean';
const isName = (v: unknown) => typeof v === 'string' && v !== '';

/** Checks every option when the object is made, so a typo fails at start-up with the fix. */
export function resolveOptions(
  options: MmStatsOptions<FieldMap>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', options, 'pass an object such as { fields: { hits: field.counter() } }.');
  }
  const o = options;
  if (o.fields === null || typeof o.fields !== 'object' || Array.isArray(o.fields)) {
    throw invalid('fields', o.fields, 'pass an object of fields, e.g. { hits: field.counter() }.');
  }
  const directory = optional(o.directory, 'directory', isName, 'pass a non-empty path.', undefined);
  const filename = optional<string | undefined>(
    o.filename,
    'filename',
    (v) => isName(v) && !/[/\\]/.test(v as string),
    'pass a file name without a directory; put the directory in the directory option.',
    undefined,
  );
  const fromEnv = env.MMSTATS_PATH !== undefined && env.MMSTATS_PATH !== '';
  return {
    fields: o.fields,
    labelPrefix: optional(o.labelPrefix, 'labelPrefix', (v) => typeof v === 'string', 'pass a string.', ''),
    defaultFields: optional(o.defaultFields, 'defaultFields', isBoolean, 'pass true or false.', true),
    directory: directory ?? defaultDirectory(env),
    privateDirectory: directory === undefined && !fromEnv,
    filename,
    backend: optional(
      o.backend,
      'backend',
      (v) => v === 'auto' || v === 'fallback',
      'use "auto" or "fallback".',
      'auto',
    ),
    mode: optional(
      o.mode,
      'mode',
      (v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0o777,
      'pass permission bits such as 0o600.',
      0o600,
    ),
    removeOnExit: optional(o.removeOnExit, 'removeOnExit', isBoolean, 'pass true or false.', true),
  };
}
