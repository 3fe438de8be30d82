import { once } from 'node:events';
import { type ClientHttp2Session, connect, createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { Registry } from '@mmstats/core';
import { sampleValue } from '@mmstats/test-utils';
import Koa from 'koa';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mmstats } from '../dist/index.js';

/** Koa over cleartext HTTP/2: requests the adapter cannot watch through Koa's onerror hook. */
let server: Http2Server | null = null;
let session: ClientHttp2Session | null = null;

afterEach(async () => {
  session?.close();
  session = null;
  if (server !== null) await new Promise((resolve) => server!.close(resolve));
  server = null;
});

function request(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = session!.request({ ':path': path });
    let status = 0;
    stream.on('response', (headers) => {
      status = Number(headers[':status']);
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(status));
    stream.resume();
    stream.end();
  });
}

describe('@mmstats/koa over HTTP/2', () => {
  it('counts every request with its route and status, and none stays in flight', async () => {
    const registry = new Registry({ storage: false });
    const app = new Koa();
    app.silent = true;
    app.use(mmstats({ registry, processMetrics: false, statusCodes: 'exact' }));
    const router = new Router();
    router.get('/users/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    router.get('/boom', () => {
      throw new Error('boom');
    });
    app.use(router.routes());
    server = createServer(app.callback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);

    expect(await request('/users/1')).toBe(200);
    expect(await request('/users/2')).toBe(200);
    expect(await request('/boom')).toBe(500);
    expect(await request('/nowhere')).toBe(404);

    // The server may close a stream just after the client has read its end.
    await vi.waitFor(
      async () => {
        const text = await registry.metrics();
        const count = (route: string, status: string) =>
          sampleValue(text, 'http_requests_total', { method: 'GET', route, status });
        expect(count('/users/:id', '200')).toBe(2);
        expect(count('/boom', '500')).toBe(1);
        expect(count('__unmatched__', '404')).toBe(1);
        expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
      },
      { timeout: 3000, interval: 10 },
    );
  });
});
