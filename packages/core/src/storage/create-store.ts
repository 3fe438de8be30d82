import { MemoryStore, type Store } from './store.js';

/** Storage options of a registry. `false` keeps values in memory only. */
export interface StorageOptions {
  /** Directory for mmstats files; default `$MMSTATS_PATH`, else a per-user directory under the OS temp dir. */
  directory?: string;
}

export function createStore(options: StorageOptions | false | undefined): Store {
  void options;
  return new MemoryStore();
}
