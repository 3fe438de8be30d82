import { CLIENT_CLOSED_REQUEST } from '@mmstats/core/http';
import type { Context } from 'koa';

/** A context carrying the start time of its request under the hook's own key. */
type Marked = { [key: symbol]: number | undefined };

type OnError = (this: Context, err: Error | null) => void;

/**
 * Koa already watches every response: `handleRequest` passes `err => ctx.onerror(err)` to
 * on-finished, which calls it once when the response has finished or its connection closed. By
 * wrapping `onerror` on the application's context prototype we learn when a request is over for
 * the price of one property read, where a listener or diagnostics-channel subscriber of our own
 * would add work to every response. `onerror` is also Koa's error handler, called with an error
 * before any response was sent; the state of the response tells the two calls apart.
 */
export function watchFinish<Ctx extends Context>(done: (ctx: Ctx, status: number, start: number) => void) {
  const key = Symbol('mmstats.start');
  const wrappers = new WeakSet<object>();
  // The prototype seen last and its onerror then: one comparison per request for one app.
  let lastProto: object | null = null;
  let lastOnerror: unknown = null;

  function wrap(original: OnError): OnError {
    const wrapper = function onerror(this: Context, err: Error | null): void {
      const start = (this as Marked)[key];
      if (start !== undefined) {
        const status = statusIfOver(this);
        if (status !== 0) {
          (this as Marked)[key] = undefined;
          try {
            done(this as Ctx, status, start);
          } catch {
            // Recording is guarded inside `done`; nothing may break Koa's own handling below.
          }
        }
      }
      original.call(this, err);
    };
    wrappers.add(wrapper);
    return wrapper;
  }

  /** Wraps the prototype's onerror unless it is ours already; false when it has none. */
  function ensureHooked(proto: { onerror?: unknown }): boolean {
    const current = proto.onerror;
    if (typeof current !== 'function') return false;
    // Replaced since (koa-onerror and the like assign app.context.onerror): wrap the new one.
    if (!wrappers.has(current)) proto.onerror = wrap(current as OnError);
    lastProto = proto;
    lastOnerror = proto.onerror;
    return true;
  }

  return {
    /**
     * Marks `ctx` for recording when its response is over; false when this context cannot be
     * watched this way (not an HTTP/1 request, or a context prototype without Koa's `onerror`).
     */
    track(ctx: Ctx, start: number): boolean {
      if (ctx.req.httpVersionMajor !== 1) return false;
      const proto = Object.getPrototypeOf(ctx) as { onerror?: unknown };
      if ((proto !== lastProto || proto.onerror !== lastOnerror) && !ensureHooked(proto)) return false;
      (ctx as Marked)[key] = start;
      return true;
    },
  };
}

/**
 * The status to record if the response is over, else 0. Finished: the status sent. Connection
 * gone first: CLIENT_CLOSED_REQUEST. Otherwise this is Koa handling an error before it responds,
 * and the response that follows is what counts.
 */
function statusIfOver(ctx: Context): number {
  const res = ctx.res;
  if (res.writableFinished) return res.statusCode;
  const socket = ctx.req.socket;
  if (socket === null || socket.destroyed) return CLIENT_CLOSED_REQUEST;
  return res.writableEnded ? res.statusCode : 0;
}
