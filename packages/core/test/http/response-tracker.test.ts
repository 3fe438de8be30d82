import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { inject } from 'light-my-request';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CLIENT_CLOSED_REQUEST } from '../../src/http/request-metrics.js';
import { ResponseTracker } from '../../src/http/response-tracker.js';

interface Seen {
  ctx: string;
  status: number;
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A node:http server tracking every request; `handle` answers (or not). */
async function serve(handle: (url: string, res: ServerResponse) => void, done?: () => void) {
  const seen: Seen[] = [];
  const tracker = new ResponseTracker<string>((ctx, _res, status) => {
    seen.push({ ctx, status });
    done?.();
  });
  const server = createServer((req, res) => {
    tracker.track(req, res, req.url ?? '', 0);
    handle(req.url ?? '', res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { seen, tracker, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('ResponseTracker', () => {
  it('reports each finished response once, with its status, over one keep-alive connection', async () => {
    const { seen, url } = await serve((u, res) => {
      res.statusCode = u === '/missing' ? 404 : 200;
      res.end('x');
    });
    for (const path of ['/a', '/missing', '/b']) await (await fetch(url + path)).text();
    await vi.waitFor(() => expect(seen).toHaveLength(3));
    expect(seen).toEqual([
      { ctx: '/a', status: 200 },
      { ctx: '/missing', status: 404 },
      { ctx: '/b', status: 200 },
    ]);
  });

  it('reports a response whose client left first as 499, once', async () => {
    const pending: ServerResponse[] = [];
    const { seen, url } = await serve((_u, res) => pending.push(res));
    const req = request(`${url}/hang`);
    req.on('error', () => {});
    req.end();
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    req.destroy();
    await vi.waitFor(() => expect(seen).toEqual([{ ctx: '/hang', status: CLIENT_CLOSED_REQUEST }]));
    pending[0]!.end('late'); // into a closed connection: nothing more is reported
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toHaveLength(1);
  });

  it('tracks pipelined requests, and reports the one left pending at close as 499', async () => {
    const { seen, url } = await serve((u, res) => {
      if (u !== '/hang') res.end(u);
    });
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    socket.write(['/1', '/2', '/hang'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    let text = '';
    socket.on('data', (d) => {
      text += d;
    });
    await vi.waitFor(() => expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2));
    socket.destroy();
    await vi.waitFor(() => expect(seen).toHaveLength(3));
    expect(seen).toEqual([
      { ctx: '/1', status: 200 },
      { ctx: '/2', status: 200 },
      { ctx: '/hang', status: CLIENT_CLOSED_REQUEST },
    ]);
  });

  it('knows the request its connection serves, and forgets it once reported', async () => {
    let tracker!: ResponseTracker<string>;
    const during: unknown[] = [];
    const after: unknown[] = [];
    const server = createServer((req, res) => {
      tracker.track(req, res, 'x', 0);
      during.push(ResponseTracker.slotOf(req)?.req === req);
      res.end('x', () => setImmediate(() => after.push(ResponseTracker.slotOf(req))));
    });
    tracker = new ResponseTracker<string>(() => {});
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).text();
    await vi.waitFor(() => expect(after).toHaveLength(1));
    expect(during).toEqual([true]);
    expect(after).toEqual([undefined]);
  });

  it('survives a callback that throws, and keeps reporting', async () => {
    let calls = 0;
    const { url } = await serve(
      (_u, res) => res.end('x'),
      () => {
        calls++;
        throw new Error('recording failed');
      },
    );
    await (await fetch(`${url}/a`)).text();
    await (await fetch(`${url}/b`)).text();
    await vi.waitFor(() => expect(calls).toBe(2));
  });
});

describe('ResponseTracker without a node:http server (light-my-request, as in fastify.inject())', () => {
  it('reports each finished response once, with its status, and keeps no slot on the mock socket', async () => {
    const seen: Seen[] = [];
    const slots: unknown[] = [];
    const tracker = new ResponseTracker<string>((ctx, _res, status) => seen.push({ ctx, status }));
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      tracker.track(req, res, req.url ?? '', 0);
      slots.push(ResponseTracker.slotOf(req));
      res.statusCode = req.url === '/missing' ? 404 : 200;
      res.end('x');
    };
    for (const path of ['/a', '/missing']) expect((await inject(handler, path)).payload).toBe('x');
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    await new Promise((r) => setTimeout(r, 20)); // the 'close' after each 'finish' adds nothing
    expect(seen).toEqual([
      { ctx: '/a', status: 200 },
      { ctx: '/missing', status: 404 },
    ]);
    expect(slots).toEqual([undefined, undefined]);
  });

  it('reports a response destroyed before it finished as 499', async () => {
    const seen: Seen[] = [];
    const tracker = new ResponseTracker<string>((ctx, _res, status) => seen.push({ ctx, status }));
    const result = inject((req: IncomingMessage, res: ServerResponse) => {
      tracker.track(req, res, 'gone', 0);
      res.destroy();
    }, '/gone');
    await expect(result).rejects.toThrow();
    await vi.waitFor(() => expect(seen).toEqual([{ ctx: 'gone', status: CLIENT_CLOSED_REQUEST }]));
  });
});
