import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset {
  contentType: string;
  body: Buffer;
}

const PAGE_FILES: Record<string, string> = {
  '/': 'index.html',
  '/assets/page.js': 'page.js',
  '/assets/page.css': 'page.css',
};

/**
 * The page's files, read once at start: from `page/` beside this module in the sources, from
 * `web/` beside the bundle once built (tsup copies them there), and uPlot from its package.
 * Nothing is fetched from elsewhere, by the server or by the page.
 */
export function loadAssets(): Map<string, Asset> {
  const here = dirname(fileURLToPath(import.meta.url));
  const dirs = [join(here, 'page'), join(here, 'web')];
  const assets = new Map<string, Asset>();
  for (const [url, name] of Object.entries(PAGE_FILES)) {
    const body = firstReadable(dirs.map((dir) => join(dir, name)));
    if (body === null) {
      throw new Error(
        `mmstats web: the page file ${name} is missing from ${dirs.join(' and ')}: reinstall @mmstats/core (or run its build).`,
      );
    }
    assets.set(url, { contentType: typeOf(name), body });
  }
  const require = createRequire(import.meta.url);
  for (const name of ['uPlot.iife.min.js', 'uPlot.min.css']) {
    let path: string;
    try {
      path = require.resolve(`uplot/dist/${name}`);
    } catch {
      throw new Error(
        `mmstats web: the charting library uplot is not installed: reinstall @mmstats/core, which depends on it.`,
      );
    }
    assets.set(`/assets/${name}`, { contentType: typeOf(name), body: readFileSync(path) });
  }
  return assets;
}

function firstReadable(paths: string[]): Buffer | null {
  for (const path of paths) {
    try {
      return readFileSync(path);
    } catch {}
  }
  return null;
}

function typeOf(name: string): string {
  if (name.endsWith('.html')) return 'text/html; charset=utf-8';
  if (name.endsWith('.css')) return 'text/css; charset=utf-8';
  return 'text/javascript; charset=utf-8';
}
