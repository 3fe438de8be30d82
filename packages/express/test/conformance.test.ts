import {
  type ConformanceRoutes,
  listenOnLoopback,
  runConformance,
  runHostileRequests,
} from '@mmstats/test-utils';
import express5 from 'express';
import express4 from 'express4';
import { buildApp } from './app.js';

for (const [name, framework] of [
  ['Express 5', express5],
  ['Express 4', express4],
] as const) {
  const target = {
    name,
    start: async (options: Record<string, unknown> | undefined, routes: ConformanceRoutes) =>
      listenOnLoopback(buildApp(framework, options, routes)),
  };
  runConformance(target);
  runHostileRequests(target);
}
