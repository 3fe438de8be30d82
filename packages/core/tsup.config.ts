import { cpSync } from 'node:fs';
import { defineConfig } from 'tsup';

const entries = {
  index: 'src/index.ts',
  http: 'src/http.ts',
  files: 'src/files.ts',
  fields: 'src/fields.ts',
};

export default defineConfig({
  entry: { ...entries, cli: 'src/cli/main.ts' },
  format: ['esm', 'cjs'],
  // Members marked @internal stay out of the public types.
  dts: { entry: entries, compilerOptions: { stripInternal: true } },
  // Shared chunks in both formats, so `@mmstats/core` and `@mmstats/core/http` hold one default
  // registry between them in CommonJS too.
  splitting: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
  // The page of `mmstats web` ships as the files it is, beside the bundle that serves them.
  onSuccess: async () => {
    cpSync('src/cli/web/page', 'dist/web', { recursive: true });
  },
});
