import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Counter, isMetricsError, Pushgateway, Registry } from '../../src/index.js';

/** A stand-in gateway that records what it receives. */
interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

describe('Pushgateway over node:http', () => {
  const received: Received[] = [];
  let server: http.Server;
  let url: string;
  let status = 200;
  let delay = 0;
  const registry = new Registry({ storage: false });
  new Counter({ name: 'jobs_total', help: 'Jobs', registers: [registry] }).inc(3);

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        setTimeout(() => res.writeHead(status).end(status >= 400 ? 'bad push' : ''), delay);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  afterEach(() => {
    received.length = 0;
    status = 200;
    delay = 0;
    vi.restoreAllMocks();
  });

  it('a mocked http.request sees the push, with method, path and body', async () => {
    const spy = vi.spyOn(http, 'request');
    await new Pushgateway(url, {}, registry).pushAdd({ jobName: 'nightly', groupings: { instance: 'a' } });
    expect(spy).toHaveBeenCalledTimes(1);
    const [target, options] = spy.mock.calls[0] as unknown as [URL, http.RequestOptions];
    expect(String(target)).toBe(`${url}/metrics/job/nightly/instance/a`);
    expect(options.method).toBe('POST');
    expect(received[0]?.body.toString()).toBe(
      '# HELP jobs_total Jobs\n# TYPE jobs_total counter\njobs_total 3\n',
    );
  });

  it('a replaced http.request is used instead of the network, as in users’ own tests', async () => {
    const spy = vi.spyOn(http, 'request').mockImplementation(((
      _url: URL,
      _options: unknown,
      callback: (r: http.IncomingMessage) => void,
    ) => {
      const { PassThrough } = require('node:stream') as typeof import('node:stream');
      const resp = Object.assign(new PassThrough(), { statusCode: 202, statusMessage: 'Accepted' });
      const req = Object.assign(new PassThrough(), { destroy: () => req });
      req.on('finish', () => {
        callback(resp as unknown as http.IncomingMessage);
        resp.end('queued');
      });
      return req as unknown as http.ClientRequest;
    }) as never);
    const result = await new Pushgateway('http://gateway.invalid:9091', {}, registry).push({
      jobName: 'mocked',
    });
    expect(spy).toHaveBeenCalledOnce();
    expect(result.resp.statusCode).toBe(202);
    expect(result.body).toBe('queued');
  });

  it('passes headers and an agent, gzips when asked, and sends no body on DELETE', async () => {
    const agent = new http.Agent({ keepAlive: false });
    const push = new Pushgateway(
      url,
      { headers: { 'Content-Encoding': 'gzip', Authorization: 'Bearer t' }, agent },
      registry,
    );
    const spy = vi.spyOn(agent as unknown as { addRequest: () => void }, 'addRequest');
    await push.push({ jobName: 'j' });
    expect(spy).toHaveBeenCalled();
    expect(received[0]?.headers.authorization).toBe('Bearer t');
    expect(gunzipSync(received[0]!.body).toString()).toContain('jobs_total 3');
    await push.delete({ jobName: 'j' });
    expect(received[1]?.method).toBe('DELETE');
    expect(received[1]?.headers['content-encoding']).toBeUndefined();
    expect(received[1]?.body.length).toBe(0);
  });

  it('keeps the gateway URL path; requireJobName: false pushes to /metrics', async () => {
    await new Pushgateway(`${url}/prefix/`, { requireJobName: false }, registry).pushAdd();
    expect(received[0]?.url).toBe('/prefix/metrics');
  });

  it('falls back to the default registry with new Pushgateway(url, null, null)', async () => {
    await new Pushgateway(url, null, null).pushAdd({ jobName: 'default' });
    expect(received[0]?.method).toBe('POST');
  });

  it('rejects with a MetricsError naming the URL: refused, answered 4xx, timed out', async () => {
    const down = await new Pushgateway('http://127.0.0.1:1', {}, registry)
      .pushAdd({ jobName: 'x' })
      .catch((e) => e);
    expect(isMetricsError(down) && down.code).toBe('PUSH_FAILED');
    expect(down.message).toContain('http://127.0.0.1:1/metrics/job/x');
    expect(down.message).toContain('connection refused');
    status = 400;
    const refused = await new Pushgateway(url, {}, registry).push({ jobName: 'x' }).catch((e) => e);
    expect(refused.message).toMatch(/answered 400: bad push/);
    status = 200;
    delay = 500;
    const slow = await new Pushgateway(url, { timeout: 50 }, registry).push({ jobName: 'x' }).catch((e) => e);
    expect(isMetricsError(slow)).toBe(true);
    expect(slow.message).toMatch(/no answer within 50 ms/);
  });
});
