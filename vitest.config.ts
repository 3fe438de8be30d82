import { defineConfig } from 'vitest/config';

const project = (name: string, root: string) => ({
  test: { name, root, include: ['test/**/*.test.ts'], testTimeout: 20_000, hookTimeout: 20_000 },
});

export default defineConfig({
  test: {
    projects: [
      project('core', 'packages/core'),
      project('express', 'packages/express'),
      project('fastify', 'packages/fastify'),
      project('koa', 'packages/koa'),
      project('example-express', 'examples/express'),
      project('example-fastify', 'examples/fastify'),
      project('example-koa', 'examples/koa'),
      project('observability', 'observability'),
    ],
  },
});
