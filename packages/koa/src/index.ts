import type { Registry } from '@mmstats/core';
import {
  type HttpInstrumentation,
  type HttpMetricsOptions,
  instrumentHttp,
  type ResponseTracker,
} from '@mmstats/core/http';
import type { Context, Middleware, Next } from 'koa';
import { watchFinish } from './finish-hook.js';
import { LATE_REGISTRATION_WARNING, registeredAfterRouter, watchRouterMatches } from './late-registration.js';

/** Options of `mmstats()`: the same as the Express and Fastify adapters; `req` is Koa's `ctx`. */
export type KoaMetricsOptions = HttpMetricsOptions<Context>;

/** The middleware, with the registry it records into (handy when the adapter created it). */
export type KoaMetricsMiddleware = Middleware & { readonly registry: Registry };

/** @koa/router's record of the matched route template, prefixes included. */
type RoutedContext = Context & { _matchedRoute?: string | RegExp };

async function serveEndpoint(instrumentation: HttpInstrumentation<Context>, ctx: Context): Promise<void> {
  const headers = ctx.req.headers;
  const out = await instrumentation.serve({
    method: ctx.method,
    accept: headers.accept,
    authorization: headers.authorization,
    req: ctx,
  });
  ctx.status = out.status;
  ctx.set(out.headers);
  ctx.body = out.body;
}

/**
 * Request metrics and a `/metrics` endpoint for Koa 2 and 3 with @koa/router: `app.use(mmstats())`
 * first. Timed to the response's last byte, not to the end of the middleware chain, so streamed
 * bodies count in full and thrown errors carry the status Koa finally sends.
 */
export function mmstats(options?: KoaMetricsOptions): KoaMetricsMiddleware {
  const instrumentation = instrumentHttp<Context>(options, '@mmstats/koa');
  const metrics = instrumentation.metrics;
  const sized = metrics.wantsSizes;

  const done = (ctx: RoutedContext, status: number, start: number): void => {
    const route = ctx._matchedRoute;
    const req = ctx.req;
    metrics.end(
      ctx,
      req.method ?? 'GET',
      typeof route === 'string' || route === undefined ? route : String(route),
      status,
      start,
      sized ? { request: req, response: ctx.res } : undefined,
    );
  };
  const finish = watchFinish<RoutedContext>(done);
  // Only for requests the hook cannot watch (HTTP/2): created on first need, because its
  // diagnostics-channel subscription makes Node build a message for every response in the process.
  let tracker: ResponseTracker<RoutedContext> | null = null;
  const fallback = (ctx: RoutedContext, start: number): void => {
    tracker ??= instrumentation.createTracker<RoutedContext>((c, _res, status, s) => done(c, status, s));
    tracker.track(ctx.req, ctx.res, ctx, start);
  };

  const track = (ctx: RoutedContext): void => {
    const start = metrics.begin();
    if (!finish.track(ctx, start)) fallback(ctx, start);
  };

  // Registered after router.routes() (see late-registration.ts): the requests routed since are
  // tracked from their match and marked, so that one the router passes on is not counted twice.
  let checked = false;
  let late = false;
  const routed = new WeakSet<object>();
  const firstRequest = (ctx: RoutedContext): void => {
    checked = true;
    if (!registeredAfterRouter(ctx.app, middleware)) return;
    late = watchRouterMatches(ctx.app, (matched) => {
      const url = matched.req.url ?? '/';
      if (instrumentation.isEndpoint(url) || instrumentation.isExcluded(url, matched)) return;
      routed.add(matched);
      track(matched as RoutedContext);
    });
    process.emitWarning(`@mmstats/koa: ${LATE_REGISTRATION_WARNING} (shown once)`, {
      code: 'MMSTATS_KOA_ORDER',
    });
  };

  const middleware = (ctx: RoutedContext, next: Next): Promise<void> => {
    const req = ctx.req;
    const url = req.url ?? '/';
    if (!checked) firstRequest(ctx);
    if (instrumentation.isEndpoint(url)) return serveEndpoint(instrumentation, ctx);
    if (!instrumentation.isExcluded(url, ctx) && !(late && routed.has(ctx))) track(ctx);
    return next();
  };
  return Object.assign(middleware, { registry: instrumentation.registry }) as KoaMetricsMiddleware;
}

export default mmstats;
