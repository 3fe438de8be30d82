import { type ConformanceRoutes, runConformance, runHostileRequests } from '@mmstats/test-utils';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { startApp } from './app.js';

for (const [name, framework] of [
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4],
] as const) {
  const target = {
    name,
    start: (options: Record<string, unknown> | undefined, routes: ConformanceRoutes) =>
      startApp(framework, options, routes),
  };
  runConformance(target);
  runHostileRequests(target);
}
