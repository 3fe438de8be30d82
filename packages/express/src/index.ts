import type { Registry } from '@mmstats/core';
import { type HttpInstrumentation, type HttpMetricsOptions, instrumentHttp } from '@mmstats/core/http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { mountTemplate, parameterMounts, subAppMounts } from './mount-template.js';

/** Options of `mmstats()`: the same as the Fastify and Koa adapters; `req` is Express's request. */
export type ExpressMetricsOptions = HttpMetricsOptions<Request>;

/** The middleware, with the registry it records into (handy when the adapter created it). */
export type ExpressMetricsMiddleware = RequestHandler & { readonly registry: Registry };

interface RouteLike {
  path: unknown;
}

/** What `routeOf` learnt about one route object: how many path segments its template matches. */
interface RouteInfo {
  /** The template, as a string. */
  readonly path: string;
  /** Segments the template always matches (`/a/:b` two, `/` none), or -1 when that varies. */
  readonly depth: number;
  /** The last mount prefix seen with this route, and the full template it gave. */
  base: string;
  full: string;
  /**
   * The router chains leading to this route through mounts with parameters (`/t/:tenant`),
   * found on first use (looked for again while not found); empty for the usual static mounts,
   * which cost nothing more.
   */
  mounts: ReturnType<typeof parameterMounts> | undefined;
  /** While `mounts` is not found: the sub-app mounts alone (see subAppMounts), found once. */
  subApps: ReturnType<typeof subAppMounts> | undefined;
}

const routeInfos = new WeakMap<object, RouteInfo>();

/** Templates whose every match has as many segments as the template: no wildcard, optional part or group. */
const PLAIN_TEMPLATE = /^[^*?+(){}[\]]*$/;

function routeInfo(route: RouteLike): RouteInfo {
  let info = routeInfos.get(route);
  if (info === undefined) {
    const path = typeof route.path === 'string' ? route.path : String(route.path);
    info = {
      path,
      depth: PLAIN_TEMPLATE.test(path) ? depthOf(path, path.length) : -1,
      base: '',
      full: path,
      mounts: undefined,
      subApps: undefined,
    };
    routeInfos.set(route, info);
  }
  return info;
}

/** Path segments of `url` up to `end`: its slashes, a trailing slash not counted. */
function depthOf(url: string, end: number): number {
  if (end > 0 && url.charCodeAt(end - 1) === 47) end--;
  let depth = 0;
  for (let i = url.indexOf('/'); i >= 0 && i < end; i = url.indexOf('/', i + 1)) depth++;
  return depth;
}

/**
 * A property of a request Express has routed. Express swaps the request's prototype, so an
 * ordinary `req.x` here meets a megamorphic inline cache that misses on every request;
 * `Reflect.get` looks the property up without one (bench/NOTES.md has the instruction counts).
 */
function read(req: Request, name: 'route' | 'baseUrl' | 'url' | 'method' | 'app'): unknown {
  return Reflect.get(req, name);
}

/**
 * The full route template: the mount prefixes of nested routers and sub-apps (`req.baseUrl`) plus
 * the matched route's own path, read when the response has ended, so nothing is added to the
 * request and no accessor to Express's request prototype (which would slow every request down).
 *
 * When an error leaves a nested router, Express restores `req.baseUrl` and `req.url` on its way
 * out, so by then `baseUrl` lacks the router's mount path. `req.route` still holds the route
 * that matched, and `baseUrl + url` is still the whole path: the route matched its last segments,
 * so the prefix is the part of `url` before them. Matched normally, `url` has exactly the
 * route's segments and `baseUrl` is the prefix already. (Templates with wildcards or optional
 * parts can match any number of segments: for those `baseUrl` is taken as it is.)
 */
function routeOf(req: Request, home: unknown): string | undefined {
  const route = read(req, 'route') as RouteLike | undefined;
  if (route === undefined || route === null) return undefined;
  const info = routeInfo(route);
  // Undefined once an error has left the application's router, which restores it as it found it.
  let base = (read(req, 'baseUrl') as string | undefined) ?? '';
  if (info.depth >= 0) {
    const url = read(req, 'url') as string;
    if (url.charCodeAt(0) === 47) {
      const q = url.indexOf('?');
      const end = q < 0 ? url.length : q;
      let extra = depthOf(url, end) - info.depth;
      if (extra > 0) {
        let cut = 0;
        while (extra-- > 0) cut = url.indexOf('/', cut + 1);
        base += url.slice(0, cut < 0 ? end : cut);
      }
    }
  }
  if (base === '') return info.path;
  if (base !== info.base) {
    info.base = base;
    info.mounts ??= parameterMounts(home, read(req, 'app'), route);
    // `/t/acme` back to `/t/:tenant`, so tenants do not become series of their own.
    if (info.mounts === undefined) info.subApps ??= subAppMounts(home);
    const template = mountTemplate(info.mounts ?? info.subApps ?? [], base);
    info.full = (template ?? base) + info.path;
  }
  return info.full;
}

function serveEndpoint(instrumentation: HttpInstrumentation<Request>, req: Request, res: Response): void {
  const headers = req.headers;
  void instrumentation
    .serve({ method: req.method, accept: headers.accept, authorization: headers.authorization, req })
    .then((out) => {
      res.writeHead(out.status, out.headers).end(out.body);
    });
}

/** An Express router layer, as Express 4 and `router` 2 (Express 5) both build them. */
interface Layer {
  handle: unknown;
  regexp?: { fast_slash?: boolean };
  slash?: boolean;
}
type LayerClass = new (path: string, options: object, fn: RequestHandler) => Layer;
type Handle = (this: unknown, req: Request, res: Response, callback?: unknown) => unknown;
interface AppLike {
  handle?: Handle;
  _router?: { stack?: Layer[] };
  router?: { stack?: Layer[] };
}

/** Apps whose `handle` an instance already wraps. */
const wrappedApps = new WeakSet<object>();

/**
 * A middleware layer costs Express a dispatch on every request, several microseconds on its own,
 * more than the accounting. So, on its first request, the middleware moves the accounting into a
 * wrapper of the app's `handle` (a plain call, where every request starts) and swaps its own
 * layer, in place, for one that Express only dispatches for the metrics path: the endpoint keeps
 * its position behind whatever the app put before it (an auth middleware, say). Only done for a
 * middleware at the app's root, without an `exclude` predicate (which expects a request Express
 * has already decorated); otherwise it stays a middleware. Returns whether it moved.
 */
function moveIntoApp(
  req: Request,
  middleware: RequestHandler,
  path: string,
  endpoint: RequestHandler,
  account: (req: Request, res: Response) => void,
): boolean {
  const app = req.app as unknown as AppLike | undefined;
  if (app === undefined || typeof app.handle !== 'function' || wrappedApps.has(app)) return false;
  // Express 4 keeps its router in `_router` (its `router` getter throws); Express 5 in `router`.
  const stack = (app._router ?? app.router)?.stack;
  if (!Array.isArray(stack)) return false;
  const at = stack.findIndex((layer) => layer.handle === middleware);
  const layer = stack[at];
  if (layer === undefined || !(layer.slash === true || layer.regexp?.fast_slash === true)) return false;
  const original = app.handle;
  wrappedApps.add(app);
  app.handle = function handle(this: unknown, rq: Request, rs: Response, callback?: unknown) {
    account(rq, rs);
    return original.call(this, rq, rs, callback);
  };
  // Replaced, not removed: requests in flight walk the stack by index.
  stack[at] = new (layer.constructor as LayerClass)(
    path,
    { sensitive: true, strict: false, end: true },
    endpoint,
  );
  return true;
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
  const movable = instrumentation.options.excludeFn === null;

  // The app the middleware runs in: routes are looked for from there (see parameterMounts).
  let home: unknown;
  const tracker = instrumentation.createTracker<Request>((req, res, status, start) => {
    const route = routeOf(req, home);
    const method = read(req, 'method') as string;
    metrics.end(req, method, route, status, start, sized ? { request: req, response: res } : undefined);
  });

  const count = (req: Request, res: Response): void => {
    if (!instrumentation.isExcluded(req.url, req)) tracker.track(req, res, req, metrics.begin());
  };
  const account = (req: Request, res: Response): void => {
    if (!instrumentation.isEndpoint(req.url)) count(req, res);
    // Another spelling of the endpoint (`/%6detrics`, `http://host/metrics`): Express's router
    // compares raw paths, so hand it the plain one, and it reaches the endpoint behind whatever
    // the app put before it, as the plain one does.
    else req.url = instrumentation.endpointUrl(req.url);
  };

  // What is left of the middleware once the accounting moved into the app (see moveIntoApp).
  // Its layer only matches the metrics path, with or without a trailing slash; `originalUrl` says
  // which (also in a sub-app, where it starts with the mount path), and only the exact one is served.
  const endpointPath = instrumentation.path;
  const endpoint = (req: Request, res: Response, next: NextFunction): void => {
    const url = req.originalUrl;
    const q = url.indexOf('?');
    if (endpointPath !== null && (q < 0 ? url : url.slice(0, q)).endsWith(endpointPath))
      serveEndpoint(instrumentation, req, res);
    else next();
  };

  let moved = false;
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    if (instrumentation.isEndpoint(req.url)) {
      serveEndpoint(instrumentation, req, res);
      return;
    }
    count(req, res);
    home ??= req.app;
    if (!moved && movable) {
      moved = true;
      moveIntoApp(req, middleware, endpointPath ?? '/metrics', endpoint, account);
    }
    next();
  };
  return Object.assign(middleware, { registry: instrumentation.registry });
}

export default mmstats;
