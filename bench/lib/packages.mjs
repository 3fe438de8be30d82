import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (bench/lib/../..). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Newest modification time under a directory, to tell whether dist is older than src. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/**
 * 'fresh', 'stale' (src changed after the build), 'missing' (no dist) or 'absent' (no src yet:
 * another package being written). Benchmarks import dist, so a stale build measures old code.
 */
export function buildState(pkg) {
  const src = join(ROOT, 'packages', pkg, 'src');
  const entry = join(ROOT, 'packages', pkg, 'dist', 'index.js');
  if (!existsSync(src) || readdirSync(src).length === 0) return 'absent';
  if (!existsSync(entry)) return 'missing';
  return statSync(entry).mtimeMs >= newest(src) ? 'fresh' : 'stale';
}

/** Builds a package with tsup when its dist is missing or stale; returns the final state. */
export function ensureBuilt(pkg, log = console.error) {
  const state = buildState(pkg);
  if (state !== 'missing' && state !== 'stale') return state;
  log(`[bench] ${pkg}: dist is ${state}, building it with tsup…`);
  try {
    execFileSync('npx', ['tsup'], { cwd: join(ROOT, 'packages', pkg), stdio: 'ignore' });
  } catch (error) {
    log(`[bench] ${pkg}: build failed (${error.message.split('\n')[0]}); using what dist holds.`);
  }
  return existsSync(join(ROOT, 'packages', pkg, 'dist', 'index.js')) ? 'fresh' : 'missing';
}
