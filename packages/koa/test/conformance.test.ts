import {
  type ConformanceRoutes,
  listenOnLoopback,
  runConformance,
  runHostileRequests,
} from '@mmstats/test-utils';
import koa3 from 'koa';
import koa2 from 'koa2';
import { buildApp } from './app.js';

for (const [name, framework] of [
  ['Koa 3', koa3],
  ['Koa 2', koa2],
] as const) {
  const target = {
    name,
    start: async (options: Record<string, unknown> | undefined, routes: ConformanceRoutes) =>
      listenOnLoopback(buildApp(framework, options, routes)),
  };
  runConformance(target);
  runHostileRequests(target);
}
