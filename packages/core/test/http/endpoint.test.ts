import { describe, expect, it } from 'vitest';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../../src/exposition/render.js';
import { createMetricsEndpoint, isPath, type MetricsRequest, pathOf } from '../../src/http/endpoint.js';
import type { MetricsAuth } from '../../src/http/options.js';
import { Counter } from '../../src/metrics/counter.js';
import { Registry } from '../../src/metrics/registry.js';

interface Req {
  ok?: boolean;
}

function endpoint(auth?: MetricsAuth<Req>, registry = new Registry({ storage: false })) {
  new Counter({ name: 'x_total', help: 'x', registers: [registry] }).inc();
  return createMetricsEndpoint<Req>({ registry, auth });
}

const ask = (over: Partial<MetricsRequest<Req>> = {}): MetricsRequest<Req> => ({
  method: 'GET',
  accept: undefined,
  authorization: undefined,
  req: {},
  ...over,
});
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('metrics endpoint', () => {
  it('renders the text format with a versioned Content-Type, OpenMetrics when asked', async () => {
    const serve = endpoint();
    const text = await serve(ask());
    expect({ ...text, body: String(text.body) }).toEqual({
      status: 200,
      headers: { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' },
      body: '# HELP x_total x\n# TYPE x_total counter\nx_total 1\n',
    });
    const om = await serve(ask({ accept: 'application/openmetrics-text;version=1.0.0,text/plain;q=0.5' }));
    expect(om.headers['content-type']).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(String(om.body).endsWith('# EOF\n')).toBe(true);
    expect((await serve(ask({ method: 'HEAD' }))).status).toBe(200);
  });

  it('answers 405 with Allow to methods other than GET and HEAD', async () => {
    const res = await endpoint()(ask({ method: 'POST' }));
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('checks a bearer token, with a challenge when missing or wrong', async () => {
    const serve = endpoint({ bearer: 'tok' });
    for (const authorization of [undefined, 'Bearer', 'Bearer nope', 'Basic tok', 'Bearer tokk']) {
      const res = await serve(ask({ authorization }));
      expect(res.status, String(authorization)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
    }
    expect((await serve(ask({ authorization: 'Bearer tok' }))).status).toBe(200);
    expect((await serve(ask({ authorization: 'bearer tok' }))).status).toBe(200);
  });

  it('checks basic credentials', async () => {
    const serve = endpoint({ basic: { username: 'u', password: 'p:w' } });
    expect((await serve(ask())).headers['www-authenticate']).toBe('Basic realm="metrics", charset="UTF-8"');
    expect((await serve(ask({ authorization: basic('u', 'p') }))).status).toBe(401);
    expect((await serve(ask({ authorization: basic('x', 'p:w') }))).status).toBe(401);
    expect((await serve(ask({ authorization: 'Basic !!!' }))).status).toBe(401);
    expect((await serve(ask({ authorization: basic('u', 'p:w') }))).status).toBe(200);
  });

  it('asks a predicate, sync or async; false, a throw or a rejection answer 403', async () => {
    expect((await endpoint((req) => req.ok === true)(ask({ req: { ok: true } }))).status).toBe(200);
    expect((await endpoint((req) => req.ok === true)(ask())).status).toBe(403);
    expect((await endpoint(async () => true)(ask())).status).toBe(200);
    const throwing = endpoint(() => {
      throw new Error('x');
    });
    expect((await throwing(ask())).status).toBe(403);
    expect((await endpoint(() => Promise.reject(new Error('x')))(ask())).status).toBe(403);
  });

  it('answers 500 with a text body when collecting fails, and never rejects', async () => {
    const registry = new Registry({ storage: false });
    new Counter({
      name: 'broken_total',
      help: 'x',
      registers: [registry],
      collect: () => Promise.reject(new Error('database down')),
    });
    const res = await createMetricsEndpoint({ registry })(ask());
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('Error collecting metrics: database down\n');
    const throwing = createMetricsEndpoint({
      registry: {
        metrics: () => {
          throw new Error('render failed');
        },
      },
    });
    expect((await throwing(ask())).body).toContain('render failed');
  });

  it('matches its path with or without a query string, nothing else', () => {
    expect(isPath('/metrics', '/metrics')).toBe(true);
    expect(isPath('/metrics?name[]=x', '/metrics')).toBe(true);
    expect(isPath('/metrics/', '/metrics')).toBe(false);
    expect(isPath('/metricsx', '/metrics')).toBe(false);
    expect(isPath('/metric', '/metrics')).toBe(false);
    expect(pathOf('/a/b?c=d')).toBe('/a/b');
    expect(pathOf('/a/b')).toBe('/a/b');
  });
});
