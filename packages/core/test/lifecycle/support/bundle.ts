import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// esbuild comes with tsup (a dev dependency): Node 20 cannot run TypeScript by itself.
import { buildSync } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * Bundles test/lifecycle/support/<entry>.ts with src (and signal-exit) into one script in
 * `directory`, `import.meta.url` pinned to src/storage/mmap.ts so the native binding is found.
 */
export function bundleServer(directory: string, entry = 'server', format: 'esm' | 'cjs' = 'esm'): string {
  const outfile = join(directory, `${entry}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  buildSync({
    entryPoints: [join(here, `${entry}.ts`)],
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    outfile,
    logLevel: 'silent',
    define: {
      'import.meta.url': JSON.stringify(
        pathToFileURL(join(here, '..', '..', '..', 'src', 'storage', 'mmap.ts')).href,
      ),
    },
  });
  return outfile;
}
