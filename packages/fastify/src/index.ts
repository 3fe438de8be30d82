import { type HttpInstrumentation, type HttpMetricsOptions, instrumentHttp } from '@mmstats/core/http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Options of the plugin: the same as the Express and Koa adapters; `req` is Fastify's request. */
export type FastifyMetricsOptions = HttpMetricsOptions<FastifyRequest>;

type ContextHolder = Record<symbol, { config?: { url?: string } } | undefined>;

/**
 * Fastify 5's `request.routeOptions` builds an object of thirteen fields on every read, and
 * Fastify 4's also defines and freezes properties (about a microsecond). The route URL sits in
 * the route context's config, under Fastify's `fastify.context` symbol (the same since v3):
 * read it there, and fall back to the public getter should that ever change.
 */
function routeReader(): (request: FastifyRequest) => string | undefined {
  // One per plugin instance, hence per copy of Fastify (each has its own symbol).
  let contextSymbol: symbol | null | undefined;
  return (request) => {
    if (contextSymbol === undefined) {
      contextSymbol =
        Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
    }
    const context = contextSymbol === null ? undefined : (request as unknown as ContextHolder)[contextSymbol];
    return context !== undefined ? context.config?.url : request.routeOptions?.url;
  };
}

function serveEndpoint(instrumentation: HttpInstrumentation<FastifyRequest>) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const headers = request.headers;
    const out = await instrumentation.serve({
      method: request.method,
      accept: headers.accept,
      authorization: headers.authorization,
      req: request,
    });
    return reply.code(out.status).headers(out.headers).send(out.body);
  };
}

// Async, so that a bad option rejects `register()` instead of throwing out of avvio.
const plugin: FastifyPluginAsync<FastifyMetricsOptions> = async (fastify, options) => {
  // Fastify passes its own register options (logLevel, logSerializers) along with ours.
  const { logLevel, logSerializers, ...own } = options as FastifyMetricsOptions & Record<string, unknown>;
  void logLevel;
  void logSerializers;
  const instrumentation = instrumentHttp<FastifyRequest>(own, '@mmstats/fastify');
  const metrics = instrumentation.metrics;
  const sized = metrics.wantsSizes;
  const routeOf = routeReader();

  const tracker = instrumentation.createTracker<FastifyReply>((reply, _res, status, start) => {
    const request = reply.request;
    const raw = request.raw;
    metrics.end(
      request,
      raw.method ?? 'GET',
      routeOf(request),
      status,
      start,
      sized ? { request: raw, response: reply } : undefined,
    );
  });

  // One onRequest hook; the end of the response, or the client leaving first (which onResponse
  // never sees, fastify#6208), comes from the tracker, with no listener per request.
  fastify.addHook('onRequest', (request, reply, next) => {
    const url = request.raw.url ?? '/';
    if (!instrumentation.isEndpoint(url) && !instrumentation.isExcluded(url, request)) {
      tracker.track(request.raw, reply.raw, reply, metrics.begin());
    }
    next();
  });

  if (instrumentation.path !== null) {
    fastify.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: instrumentation.path,
      exposeHeadRoute: false,
      logLevel: 'warn',
      handler: serveEndpoint(instrumentation),
    });
  }
};

/**
 * Request metrics and a `/metrics` route for Fastify 4 and 5: `await app.register(mmstats)`.
 * Wrapped with fastify-plugin, so its hook covers the whole application.
 */
export const mmstats = fp(plugin, { fastify: '4.x || 5.x', name: '@mmstats/fastify' });

export default mmstats;
