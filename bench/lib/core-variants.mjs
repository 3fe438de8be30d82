import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ours from '@mmstats/core';
import * as promClient from 'prom-client';

/**
 * The contestants of bench/core.mjs: ours with storage off, ours with mmstats file storage (when
 * the build has it), and prom-client. Each makes fresh registries of its own library.
 */
const directories = [];

function tempDirectory() {
  const dir = mkdtempSync(join(tmpdir(), 'mmstats-bench-'));
  directories.push(dir);
  return dir;
}

/** Removes the mkdtemp directories this process made (call once, at the end). */
export function removeTempDirectories() {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Whether `new Registry({ storage: { directory } })` really writes an mmstats file: before file
 * storage lands it is accepted and silently kept in memory, which must not pass for "file".
 */
export function probeFileStorage() {
  const directory = tempDirectory();
  try {
    const registry = new ours.Registry({ storage: { directory } });
    const counter = new ours.Counter({ name: 'probe_total', help: 'probe', registers: [registry] });
    counter.inc();
    registry.sync();
    const backend = registry.store.backend;
    const files = readdirSync(directory).length;
    registry.close();
    return backend !== 'memory' && files > 0
      ? { ok: true, backend, reason: '' }
      : { ok: false, backend, reason: `backend "${backend}", ${files} file(s) written` };
  } catch (error) {
    return { ok: false, backend: 'none', reason: error.message };
  }
}

export const VARIANTS = {
  memory: {
    id: 'memory',
    title: 'ours, storage off',
    lib: ours,
    makeRegistry: () => new ours.Registry({ storage: false }),
  },
  file: {
    id: 'file',
    title: 'ours, file storage',
    lib: ours,
    makeRegistry: () => new ours.Registry({ storage: { directory: tempDirectory() } }),
  },
  prom: {
    id: 'prom',
    title: 'prom-client',
    lib: promClient,
    makeRegistry: () => new promClient.Registry(),
  },
};

/** Closes our registries (stops publish timers, removes files) so the process can exit. */
export function closeRegistries(metrics) {
  for (const registry of [metrics.registry, metrics.render600, metrics.render6000]) {
    if (typeof registry.close === 'function') registry.close();
  }
}
