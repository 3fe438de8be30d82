import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Small tmpfs mounts: a real read-only or a real full filesystem, which a chmod cannot give a
 * root process. Needs root with CAP_SYS_ADMIN; `mountUnavailable()` says why not otherwise.
 */
let probed: string | undefined | null = null;

export function mountUnavailable(): string | undefined {
  if (probed !== null) return probed;
  if (process.getuid?.() !== 0) {
    probed = 'not root: cannot mount a tmpfs';
    return probed;
  }
  try {
    unmount(mountTmpfs('size=8k'));
    probed = undefined;
  } catch (error) {
    probed = `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`;
  }
  return probed;
}

/** Mounts a fresh tmpfs with `options` on a new mkdtemp directory; returns it. */
export function mountTmpfs(options: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmstats-mnt-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    rmdirSync(dir);
    throw error;
  }
  return dir;
}

/** Lazy (-l): a mapping the store still holds keeps the filesystem busy until it is collected. */
export function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  rmdirSync(dir);
}
