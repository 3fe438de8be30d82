import type { IncomingMessage, ServerResponse } from 'node:http';
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

  /** What the slot holds from the server's request event until onRequest names the reply. */
  const routerAnswered = Symbol('mmstats.routerAnswered');
  const tracker = instrumentation.createTracker<FastifyReply>((reply, res, status, start) => {
    if ((reply as unknown) === routerAnswered) {
      // No route ran: the router refused the URL. Counted like any unmatched request.
      const raw = res.req;
      metrics.end(
        undefined as unknown as FastifyRequest,
        raw?.method ?? 'GET',
        undefined,
        status,
        start,
        sized ? { request: raw, response: res } : undefined,
      );
      return;
    }
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

  // Fastify answers some requests in its router, before any hook runs: a bad percent-encoding
  // (400) or an over-long parameter (414). So tracking starts when the server emits the request,
  // ahead of Fastify's own listener; onRequest then names the reply, or stops tracking the
  // endpoint and excluded requests. The end of the response, or the client leaving first (which
  // onResponse never sees, fastify#6208), comes from the tracker, with no listener per request.
  fastify.server?.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    // Counted in flight only once tracked: a pipelined request finds the slot busy, and onRequest
    // tracks it instead.
    if (tracker.trackInSlot(req, res, routerAnswered as unknown as FastifyReply, 0)) {
      const slot = instrumentation.slotOf(req);
      if (slot !== undefined) slot.start = metrics.begin();
    }
  });

  fastify.addHook('onRequest', (request, reply, next) => {
    const raw = request.raw;
    const slot = instrumentation.slotOf(raw);
    const url = raw.url ?? '/';
    // Served by our route under any spelling the router accepts (`/%6detrics`, absolute form).
    const skip =
      (instrumentation.path !== null && routeOf(request) === instrumentation.path) ||
      instrumentation.isExcluded(url, request);
    if (slot !== undefined && slot.ctx === routerAnswered) {
      if (skip) {
        instrumentation.untrack(raw);
        metrics.cancel();
      } else slot.ctx = reply;
    } else if (!skip) tracker.track(raw, reply.raw, reply, metrics.begin());
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
