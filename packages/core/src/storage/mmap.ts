import { createRequire } from 'node:module';

/** The optional native binding (packages/core/native/mmap.c). */
export interface MmapBinding {
  map(fd: number, length: number): ArrayBuffer;
  sync(buffer: ArrayBuffer): void;
  unmap(buffer: ArrayBuffer): void;
  /** Maps the file `fd` (same length) over `buffer`'s pages; absent in builds older than it. */
  remap?(buffer: ArrayBuffer, fd: number): void;
  gettid(): number;
}

let loaded: MmapBinding | null | undefined;
let loadError: string | undefined;

/**
 * The binding, or null when it was not built (no compiler at install time) or is disabled with
 * MMSTATS_BACKEND=fallback. Looked up once.
 */
export function mmapBinding(): MmapBinding | null {
  if (loaded !== undefined) return loaded;
  if (process.env.MMSTATS_BACKEND === 'fallback') {
    loadError = 'disabled by MMSTATS_BACKEND=fallback';
    loaded = null;
    return loaded;
  }
  const require = createRequire(import.meta.url);
  for (const candidate of ['../build/Release/mmstats_mmap.node', '../../build/Release/mmstats_mmap.node']) {
    try {
      loaded = require(candidate) as MmapBinding;
      return loaded;
    } catch (error) {
      loadError = (error as Error).message;
    }
  }
  loaded = null;
  return loaded;
}

/** Why the binding is not in use, for diagnostics. */
export function mmapUnavailableReason(): string | undefined {
  return mmapBinding() === null ? loadError : undefined;
}
