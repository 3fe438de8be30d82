import { listenOnLoopback, runConformance } from '@mmstats/test-utils';
import koa3 from 'koa';
import koa2 from 'koa2';
import { buildApp } from './app.js';

for (const [name, framework] of [
  ['Koa 3', koa3],
  ['Koa 2', koa2],
] as const) {
  runConformance({
    name,
    start: async (options, routes) => listenOnLoopback(buildApp(framework, options, routes)),
  });
}
