import type { Context } from 'koa';

/** A @koa/router `routes()` middleware: the dispatch function carries its router. */
type MaybeRouterDispatch = { router?: unknown };

/**
 * Whether `middleware` was added to the app after a @koa/router `routes()` middleware: the router
 * answers the requests it matches without calling `next()`, so they never reach it.
 */
export function registeredAfterRouter(app: unknown, middleware: unknown): boolean {
  const stack = (app as { middleware?: unknown } | null | undefined)?.middleware;
  if (!Array.isArray(stack)) return false;
  const ours = stack.indexOf(middleware);
  if (ours < 0) return false;
  for (let i = 0; i < ours; i++) if ((stack[i] as MaybeRouterDispatch | null)?.router != null) return true;
  return false;
}

/**
 * Counts requests the router answers before the middleware could see them. @koa/router records
 * the template it matched as `ctx._matchedRoute`; an accessor of that name on the app's context
 * prototype hears each first assignment, which is when the route starts running, and keeps the
 * value where the router expects it. Requests from then on are counted, timed from the match
 * rather than from their arrival.
 */
export function watchRouterMatches(app: unknown, onMatch: (ctx: Context) => void): boolean {
  const proto = (app as { context?: object } | null | undefined)?.context;
  if (proto === undefined || proto === null || Object.hasOwn(proto, '_matchedRoute')) return false;
  const slot = Symbol('mmstats.matchedRoute');
  type Slotted = Context & { [slot]?: unknown };
  Object.defineProperty(proto, '_matchedRoute', {
    configurable: true,
    get(this: Slotted) {
      return this[slot];
    },
    set(this: Slotted, value: unknown) {
      const first = this[slot] === undefined;
      this[slot] = value;
      if (first) onMatch(this);
    },
  });
  return true;
}

export const LATE_REGISTRATION_WARNING =
  'registered after router.routes(): the router answers the requests it matches without passing them on, so they never reached the metrics middleware. They are counted from now on (timed from the route match, not from their arrival); requests answered before this one were missed. Call app.use(mmstats()) before app.use(router.routes()).';
