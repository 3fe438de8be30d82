import type { Registry } from '@mmstats/core';
import { type HttpInstrumentation, type HttpMetricsOptions, instrumentHttp } from '@mmstats/core/http';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/** Options of the plugin: the same as the Express and Koa adapters; `req` is Fastify's request. */
export type FastifyMetricsOptions = HttpMetricsOptions<FastifyRequest>;

/** What `fastify.metrics` holds, as fastify-metrics users reach their client through it. */
export interface FastifyMetricsDecorator {
  /** The registry the plugin records into and serves. */
  readonly registry: Registry;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: FastifyMetricsDecorator;
  }
  interface FastifyContextConfig {
    /** `false` leaves this route's requests uncounted. */
    metrics?: boolean;
    /** fastify-metrics' spelling of the same: `true` leaves the route uncounted. */
    disableMetrics?: boolean;
  }
}

/** A route's config as the plugin reads it: its URL and the per-route opt-outs. */
interface RouteConfig {
  url?: string;
  metrics?: unknown;
  disableMetrics?: unknown;
}

type ContextHolder = Record<symbol, { config?: RouteConfig } | undefined>;

/**
 * Fastify 5's `request.routeOptions` builds an object of thirteen fields on every read, and
 * Fastify 4's also defines and freezes properties (about a microsecond). The route URL sits in
 * the route context's config, under Fastify's `fastify.context` symbol (the same since v3):
 * read it there, and fall back to the public getter should that ever change.
 */
function configReader(): (request: FastifyRequest) => RouteConfig | undefined {
  // One per plugin instance, hence per copy of Fastify (each has its own symbol).
  let contextSymbol: symbol | null | undefined;
  return (request) => {
    if (contextSymbol === undefined) {
      contextSymbol =
        Object.getOwnPropertySymbols(request).find((s) => s.description === 'fastify.context') ?? null;
    }
    const context = contextSymbol === null ? undefined : (request as unknown as ContextHolder)[contextSymbol];
    return context !== undefined ? context.config : (request.routeOptions?.config as RouteConfig | undefined);
  };
}

/** A route opted out with `config: { metrics: false }` (or fastify-metrics' `disableMetrics: true`). */
function optedOut(config: RouteConfig | undefined): boolean {
  return config !== undefined && (config.metrics === false || config.disableMetrics === true);
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
  const configOf = configReader();

  const tracker = instrumentation.createTracker<FastifyReply>((reply, _res, status, start) => {
    const request = reply.request;
    const raw = request.raw;
    metrics.end(
      request,
      raw.method ?? 'GET',
      configOf(request)?.url,
      status,
      start,
      sized ? { request: raw, response: reply } : undefined,
    );
  });

  // One onRequest hook; the end of the response, or the client leaving first (which onResponse
  // never sees, fastify#6208), comes from the tracker, with no listener per request.
  fastify.addHook('onRequest', (request, reply, next) => {
    const url = request.raw.url ?? '/';
    if (
      !instrumentation.isEndpoint(url) &&
      !optedOut(configOf(request)) &&
      !instrumentation.isExcluded(url, request)
    ) {
      tracker.track(request.raw, reply.raw, reply, metrics.begin());
    }
    next();
  });

  // fastify-metrics users reach their registry as `fastify.metrics`; another plugin of that name wins.
  if (!fastify.hasDecorator('metrics')) {
    const decorator: FastifyMetricsDecorator = Object.freeze({ registry: instrumentation.registry });
    fastify.decorate('metrics', decorator);
  }

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
