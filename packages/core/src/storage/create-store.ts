import cluster from 'node:cluster';
import { MetricsError } from '../errors.js';
import { PAGE_SIZE } from '../file-format/constants.js';
import { checkAppName, resolveApp } from './app-identity.js';
import { defaultDirectory } from './file-names.js';
import { FileStore, type FileStoreOptions } from './file-store.js';
import { MemoryStore, type Store } from './store.js';

/** Storage options of a registry. `false` keeps values in memory only. */
export interface StorageOptions {
  /**
   * Directory for mmstats files; default `$MMSTATS_PATH`, else `<tmpdir>/mmstats-<uid>` (created
   * 0700). A directory you name must exist: it is never created.
   */
  directory?: string;
  /**
   * `'mmap'`: values are stores into a shared mapping (needs the native binding). `'fallback'`:
   * values in memory, written to the file every `interval`. `'auto'` (default): mmap when the
   * binding loads.
   */
  backend?: 'auto' | 'mmap' | 'fallback';
  /** Milliseconds between publishing histograms and flushing fallback files; default 250. */
  interval?: number;
  /**
   * Remove the files on exit or `close()`. Default: true, except in cluster and PM2 workers, whose
   * files stay so that totals survive restarts.
   */
  removeOnExit?: boolean;
  /** Bytes per file, a multiple of 4096; default 64 KiB. When a file is full the next one starts. */
  segmentSize?: number;
  /** File mode; default 0o600. */
  mode?: number;
  /**
   * The application these files belong to: cluster totals and the CLI group files by it. Default
   * `$MMSTATS_APP`, else PM2's app name and namespace, else a name made from the main module's path.
   */
  app?: string;
}

const BACKENDS = ['auto', 'mmap', 'fallback'];
const DEFAULT_INTERVAL = 250;
/** Small files: with 1 MiB ones some server processes ran measurably slower (bench/NOTES.md). */
const DEFAULT_SEGMENT = 64 * 1024;

function invalid(option: string, value: unknown, fix: string): MetricsError {
  return new MetricsError('INVALID_OPTION', `storage.${option} ${JSON.stringify(value)} is invalid: ${fix}`);
}

/** Checks storage options when the registry is made, so a typo fails at start-up, not later. */
export function validateStorageOptions(options: unknown): void {
  if (options === undefined || options === false) return;
  if (options === null || typeof options !== 'object') {
    throw new MetricsError('INVALID_OPTION', 'storage must be false or an object such as { directory }.');
  }
  const o = options as StorageOptions;
  if (o.directory !== undefined && (typeof o.directory !== 'string' || o.directory === ''))
    throw invalid('directory', o.directory, 'pass a non-empty path.');
  if (o.backend !== undefined && !BACKENDS.includes(o.backend))
    throw invalid('backend', o.backend, 'use "auto", "mmap" or "fallback".');
  if (
    o.interval !== undefined &&
    !(Number.isFinite(o.interval) && o.interval >= 1 && o.interval <= 2 ** 31 - 1)
  )
    throw invalid('interval', o.interval, 'pass milliseconds, at least 1.');
  if (o.removeOnExit !== undefined && typeof o.removeOnExit !== 'boolean')
    throw invalid('removeOnExit', o.removeOnExit, 'pass true or false.');
  if (
    o.segmentSize !== undefined &&
    !(Number.isSafeInteger(o.segmentSize) && o.segmentSize >= PAGE_SIZE && o.segmentSize % PAGE_SIZE === 0)
  )
    throw invalid('segmentSize', o.segmentSize, 'pass a multiple of 4096 bytes, e.g. 65536.');
  if (o.mode !== undefined && !(Number.isInteger(o.mode) && o.mode >= 0 && o.mode <= 0o777))
    throw invalid('mode', o.mode, 'pass permission bits such as 0o600.');
  if (o.app !== undefined) checkAppName(o.app, 'storage.app');
}

/** Cluster and PM2 workers restart; their totals must outlive them (docs/file-format.md#dead-processes). */
export function isRestartedWorker(env: NodeJS.ProcessEnv = process.env): boolean {
  return cluster.isWorker || env.NODE_APP_INSTANCE !== undefined || env.pm_id !== undefined;
}

export function resolveStorageOptions(
  options: StorageOptions,
  env: NodeJS.ProcessEnv = process.env,
): FileStoreOptions {
  const fromEnv = env.MMSTATS_PATH !== undefined && env.MMSTATS_PATH !== '';
  return {
    directory: options.directory ?? defaultDirectory(env),
    privateDirectory: options.directory === undefined && !fromEnv,
    backend: options.backend ?? 'auto',
    interval: options.interval ?? DEFAULT_INTERVAL,
    removeOnExit: options.removeOnExit ?? !isRestartedWorker(env),
    segmentSize: options.segmentSize ?? DEFAULT_SEGMENT,
    mode: options.mode ?? 0o600,
    app: resolveApp(options.app, env).app,
  };
}

/**
 * The store of a registry: mmstats files unless `storage: false` or `MMSTATS_STORAGE=memory`.
 * No file exists until the first metric needs one.
 */
export function createStore(options: StorageOptions | false | undefined): Store {
  if (options === false || process.env.MMSTATS_STORAGE === 'memory') return new MemoryStore();
  return new FileStore(resolveStorageOptions(options ?? {}));
}
