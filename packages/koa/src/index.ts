import {
  type HttpInstrumentation,
  type HttpMetricsOptions,
  instrumentHttp,
  type Registry,
} from '@mmstats/core';
import type { Context, Middleware, Next } from 'koa';

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

  const tracker = instrumentation.createTracker<RoutedContext>((ctx, res, status, start) => {
    const route = ctx._matchedRoute;
    const req = ctx.req;
    metrics.end(
      ctx,
      req.method ?? 'GET',
      typeof route === 'string' || route === undefined ? route : String(route),
      status,
      start,
      sized ? { request: req, response: res } : undefined,
    );
  });

  const middleware = (ctx: RoutedContext, next: Next): Promise<void> => {
    const req = ctx.req;
    const url = req.url ?? '/';
    if (instrumentation.isEndpoint(url)) return serveEndpoint(instrumentation, ctx);
    if (!instrumentation.isExcluded(url, ctx)) tracker.track(req, ctx.res, ctx, metrics.begin());
    return next();
  };
  return Object.assign(middleware, { registry: instrumentation.registry }) as KoaMetricsMiddleware;
}

export default mmstats;
