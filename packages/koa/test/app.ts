import Router from '@koa/router';
import type { ConformanceRoutes } from '@mmstats/test-utils';
import { slowStream } from '@mmstats/test-utils';
import type Koa from 'koa';
import { mmstats } from '../dist/index.js';

type KoaClass = typeof Koa;

/** The conformance application: the middleware first, then @koa/router routes, nested /api and /v1. */
export function buildApp(
  framework: KoaClass,
  options: Record<string, unknown> | undefined,
  routes: ConformanceRoutes,
): Koa {
  const app = new framework();
  app.silent = true; // Koa would print every thrown error
  app.use(mmstats(options));
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.post('/users/:id', (ctx) => {
    ctx.status = 201;
    ctx.body = { id: ctx.params.id };
  });
  router.get('/redirect', (ctx) => {
    ctx.redirect('/users/1');
  });
  router.get('/boom', () => {
    throw new Error('boom');
  });
  router.get('/slow', async (ctx) => {
    await routes.slow();
    ctx.body = { slow: true };
  });
  router.get('/stream', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = slowStream();
  });
  const v1 = new Router();
  v1.get('/items/:itemId', (ctx) => {
    ctx.body = { itemId: ctx.params.itemId };
  });
  v1.get('/items/:itemId/fail', () => {
    throw new Error('nested boom');
  });
  const api = new Router();
  api.use('/v1', v1.routes(), v1.allowedMethods());
  router.use('/api', api.routes(), api.allowedMethods());
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
