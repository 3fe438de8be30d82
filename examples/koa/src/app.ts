import Router from '@koa/router';
import { type KoaMetricsOptions, mmstats } from '@mmstats/koa';
import Koa from 'koa';

/** The example application; `options` go to the metrics middleware (tests pass `storage: false`). */
export function createApp(options?: KoaMetricsOptions): Koa {
  const app = new Koa();
  app.use(mmstats(options)); // first, so that it sees every request; serves GET /metrics
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = { id: ctx.params.id, name: `User ${ctx.params.id}` };
  });
  router.get('/redirect', (ctx) => {
    ctx.redirect('/users/1');
  });
  router.get('/boom', () => {
    throw new Error('boom'); // Koa answers 500; counted under route "/boom", status "5XX"
  });
  const items = new Router();
  items.get('/items/:itemId', (ctx) => {
    ctx.body = { itemId: ctx.params.itemId };
  });
  const api = new Router();
  api.use('/v1', items.routes());
  router.use('/api', api.routes()); // counted as route "/api/v1/items/:itemId"
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app; // unknown paths: Koa's own 404, counted under route "__unmatched__"
}
