import { setTimeout as sleep } from 'node:timers/promises';
import Router from '@koa/router';
import { type KoaMetricsOptions, mmstats } from '@mmstats/koa';
import Koa from 'koa';

const MAX_MS = 10_000;

/** `?ms=` of /slow and /busy: whole milliseconds from 0 to 10 s; `fallback` when absent or not a number. */
function millis(value: unknown, fallback: number): number {
  const ms = typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(ms) ? Math.min(MAX_MS, Math.max(0, Math.round(ms))) : fallback;
}

/** Keeps the event loop busy for `ms`: nothing else runs in this process meanwhile, scrapes included. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

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
  router.get('/slow', async (ctx) => {
    const ms = millis(ctx.query.ms, 200); // answers after `ms` (default 200), without blocking
    await sleep(ms);
    ctx.body = { ms };
  });
  router.get('/busy', (ctx) => {
    const ms = millis(ctx.query.ms, 100); // blocks the event loop for `ms` (default 100), then answers
    blockFor(ms);
    ctx.body = { ms };
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
