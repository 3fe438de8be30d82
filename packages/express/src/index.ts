import {
  type HttpInstrumentation,
  type HttpMetricsOptions,
  instrumentHttp,
  type Registry,
  type ResponseSlot,
} from '@mmstats/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** Options of `mmstats()`: the same as the Fastify and Koa adapters; `req` is Express's request. */
export type ExpressMetricsOptions = HttpMetricsOptions<Request>;

/** The middleware, with the registry it records into (handy when the adapter created it). */
export type ExpressMetricsMiddleware = RequestHandler & { readonly registry: Registry };

interface RouteLike {
  path: unknown;
}
const kRoute = Symbol('mmstats.route');
const kBase = Symbol('mmstats.routeBase');
type TrackedRequest = Request & { [kRoute]?: RouteLike; [kBase]?: string };
type SlotOf = (req: Request) => ResponseSlot | undefined;

const patchedPrototypes = new WeakSet<object>();
let lastPrototype: object | null = null;

/**
 * Express assigns `req.route` when a route matches, and restores `req.baseUrl` when an error
 * leaves a nested router: read at the end, an error thrown in `/api/v1/items/:itemId` would
 * come out as `/items/:itemId`. An accessor on the app's request prototype (Express sets it on
 * every request) keeps the `baseUrl` of the moment the route matched. It costs what Express's
 * own assignment cost: one property on `req` (the route, under a symbol), the base going to the
 * connection's slot. Each property added to an Express request costs about a microsecond.
 */
function rememberRouteBase(req: Request, slotOf: SlotOf): void {
  const proto = Object.getPrototypeOf(req) as object | null;
  if (proto === lastPrototype || proto === null) return;
  lastPrototype = proto;
  if (patchedPrototypes.has(proto)) return;
  patchedPrototypes.add(proto);
  if (Object.getOwnPropertyDescriptor(proto, 'route') !== undefined) return;
  Object.defineProperty(proto, 'route', {
    configurable: true,
    enumerable: true,
    get(this: TrackedRequest) {
      return this[kRoute];
    },
    set(this: TrackedRequest, route: RouteLike) {
      this[kRoute] = route;
      const slot = slotOf(this);
      if (slot !== undefined) slot.routeBase = this.baseUrl;
      else this[kBase] = this.baseUrl;
    },
  });
}

/** The full route template: mount prefixes of nested routers plus the route's own path. */
function routeOf(req: TrackedRequest, slotOf: SlotOf): string | undefined {
  const route = req.route as RouteLike | undefined;
  if (route === undefined || route === null) return undefined;
  let base: string | undefined;
  if (req[kRoute] === route) {
    const slot = slotOf(req);
    base = slot !== undefined ? slot.routeBase : req[kBase];
  } else base = req.baseUrl; // set by a sub-app (its own request prototype) as a plain property
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  return base ? base + path : path;
}

function serveEndpoint(instrumentation: HttpInstrumentation<Request>, req: Request, res: Response): void {
  const headers = req.headers;
  void instrumentation
    .serve({ method: req.method, accept: headers.accept, authorization: headers.authorization, req })
    .then((out) => {
      res.writeHead(out.status, out.headers).end(out.body);
    });
}

/**
 * Request metrics and a `/metrics` endpoint for Express 4 and 5: `app.use(mmstats())`, before
 * the routes. Responses are timed to their last byte, with the status sent; a client that
 * leaves first is counted with status 499.
 */
export function mmstats(options?: ExpressMetricsOptions): ExpressMetricsMiddleware {
  const instrumentation = instrumentHttp<Request>(options, '@mmstats/express');
  const metrics = instrumentation.metrics;
  const sized = metrics.wantsSizes;
  const slotOf: SlotOf = instrumentation.slotOf;

  const tracker = instrumentation.createTracker<Request>((req, res, status, start) => {
    const route = routeOf(req, slotOf);
    metrics.end(req, req.method, route, status, start, sized ? { request: req, response: res } : undefined);
  });

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const url = req.url;
    if (instrumentation.isEndpoint(url)) {
      serveEndpoint(instrumentation, req, res);
      return;
    }
    if (!instrumentation.isExcluded(url, req)) {
      rememberRouteBase(req, slotOf);
      tracker.track(req, res, req, metrics.begin());
    }
    next();
  };
  return Object.assign(middleware, { registry: instrumentation.registry });
}

export default mmstats;
