import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { CLIENT_CLOSED_REQUEST } from './request-metrics.js';

/** Called once per tracked request, with the status sent or CLIENT_CLOSED_REQUEST. */
export type ResponseDone<Ctx> = (ctx: Ctx, res: ServerResponse, status: number, start: number) => void;

const kSlot = Symbol('mmstats.responseSlot');
type SlottedSocket = Socket & { [kSlot]?: ResponseSlot };

/**
 * The request a keep-alive connection is serving. One per connection, reused request after
 * request: tracking a request stores into it and allocates nothing, adds no listener and no
 * property to the framework's request or response objects (each such property cost about a
 * microsecond on Express's objects, whose prototypes are swapped per request).
 */
export class ResponseSlot {
  done: ResponseDone<unknown> | null = null;
  req: IncomingMessage | null = null;
  res: ServerResponse | null = null;
  ctx: unknown = undefined;
  start = 0;

  finish(status: number): void {
    const { done, res, ctx, start } = this;
    this.res = null;
    try {
      done!(ctx, res!, status, start);
    } catch {
      // A diagnostics channel subscriber that throws would crash the process: recording is
      // guarded inside `done`, so this only swallows what must never escape.
    } finally {
      this.done = null;
      this.req = null;
      this.ctx = undefined;
    }
  }
}

/** Node publishes every finished HTTP/1 response here (node:http, node:https), with its socket. */
function onResponseFinish(message: unknown): void {
  const { response, socket } = message as { response: ServerResponse; socket: SlottedSocket | null };
  const slot = socket?.[kSlot];
  if (slot !== undefined && slot.res === response) slot.finish(response.statusCode);
}

/** The connection closed: a response still pending there never reached the client. */
function onSocketClose(this: SlottedSocket): void {
  const slot = this[kSlot];
  if (slot !== undefined && slot.res !== null) slot.finish(CLIENT_CLOSED_REQUEST);
}

/** Whether a node:http (or https) server accepted this connection: it sets `socket.server`. */
function isServerConnection(socket: Socket): boolean {
  const server = (socket as { server?: unknown }).server;
  return typeof server === 'object' && server !== null;
}

let subscribed = false;

/**
 * Tells when responses end, for any framework on node:http, at the least cost per request: a
 * response that finishes is reported by Node's `http.server.response.finish` diagnostics
 * channel (one subscriber per process), a client that leaves first by the `close` event of its
 * connection (one listener per connection, not per request). Requests that cannot use the slot
 * of their connection (pipelined behind another, HTTP/2) fall back to a `close` listener.
 */
export class ResponseTracker<Ctx> {
  constructor(private readonly done: ResponseDone<Ctx>) {
    if (!subscribed) {
      subscribe('http.server.response.finish', onResponseFinish);
      subscribed = true;
    }
  }

  /** Starts tracking a response; `done` gets `ctx` back once, when it has ended or its client left. */
  track(req: IncomingMessage, res: ServerResponse, ctx: Ctx, start: number): void {
    const socket = req.socket as SlottedSocket | null;
    if (socket?.destroyed) {
      // Gone before we saw the request: no close event is coming any more.
      this.report(ctx, res, CLIENT_CLOSED_REQUEST, start);
      return;
    }
    if (socket !== null && req.httpVersionMajor === 1) {
      let slot = socket[kSlot];
      if (slot === undefined) {
        // Not a connection of a node:http server (Fastify's inject(), light-my-request): Node
        // publishes no finish for its responses and its socket never closes.
        if (!isServerConnection(socket)) {
          this.trackWithListener(res, ctx, start);
          return;
        }
        slot = new ResponseSlot();
        socket[kSlot] = slot;
        socket.once('close', onSocketClose);
      }
      if (slot.res === null) {
        slot.done = this.done as ResponseDone<unknown>;
        slot.req = req;
        slot.res = res;
        slot.ctx = ctx;
        slot.start = start;
        return;
      }
    }
    this.trackWithListener(res, ctx, start);
  }

  /**
   * Tracks `req` in its connection's slot when the slot is free (HTTP/1 on a node:http server, not
   * pipelined); false otherwise, with nothing tracked. For adapters that must start tracking before
   * the framework has looked at the request (Fastify answers some requests in its router).
   */
  trackInSlot(req: IncomingMessage, res: ServerResponse, ctx: Ctx, start: number): boolean {
    const socket = req.socket as SlottedSocket | null;
    if (socket === null || socket.destroyed || req.httpVersionMajor !== 1 || !isServerConnection(socket))
      return false;
    let slot = socket[kSlot];
    if (slot === undefined) {
      slot = new ResponseSlot();
      socket[kSlot] = slot;
      socket.once('close', onSocketClose);
    }
    if (slot.res !== null) return false;
    slot.done = this.done as ResponseDone<unknown>;
    slot.req = req;
    slot.res = res;
    slot.ctx = ctx;
    slot.start = start;
    return true;
  }

  /** Stops tracking `req` without reporting it (it turned out to be the endpoint, or excluded). */
  static untrack(req: IncomingMessage): boolean {
    const slot = ResponseTracker.slotOf(req);
    if (slot === undefined) return false;
    slot.res = null;
    slot.done = null;
    slot.req = null;
    slot.ctx = undefined;
    return true;
  }

  /**
   * For the requests the slot cannot serve: two listeners on the response. 'finish' reports the
   * status sent; 'close' without a finish first, a client that left. (Mock responses such as
   * light-my-request's emit 'finish' without ever becoming `writableFinished`.)
   */
  private trackWithListener(res: ServerResponse, ctx: Ctx, start: number): void {
    let reported = false;
    const over = (status: number): void => {
      if (reported) return;
      reported = true;
      this.report(ctx, res, status, start);
    };
    res.once('finish', () => over(res.statusCode));
    res.once('close', () => over(res.writableFinished ? res.statusCode : CLIENT_CLOSED_REQUEST));
  }

  private report(ctx: Ctx, res: ServerResponse, status: number, start: number): void {
    try {
      this.done(ctx, res, status, start);
    } catch {
      // See ResponseSlot.finish.
    }
  }

  /** The slot tracking `req` right now, if its connection's slot does. */
  static slotOf(req: IncomingMessage): ResponseSlot | undefined {
    const slot = (req.socket as SlottedSocket | null)?.[kSlot];
    return slot !== undefined && slot.req === req ? slot : undefined;
  }
}
