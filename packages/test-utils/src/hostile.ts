import type { AddressInfo } from 'node:net';
import { Registry } from '@mmstats/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConformanceRoutes, ConformanceTarget, RunningApp } from './conformance.js';
import { parseSamples, samplesOf } from './conformance-http.js';
import { promtoolCheckMetrics } from './promtool.js';
import { hostileTargets, rawGet } from './raw-http.js';
import { toolAvailable } from './tools.js';

const REQUESTS = 'http_requests_total';
const ROUTES = new Set([
  '/users/:id',
  '/redirect',
  '/boom',
  '/api/v1/items/:itemId',
  '/api/v1/items/:itemId/fail',
  '/slow',
  '/stream',
  '__unmatched__',
]);

/**
 * Hostile clients on raw sockets (issue 19): every response the server sends is counted, under a
 * bounded set of series, and the endpoint, however it is spelled, is served and never counted.
 */
export function runHostileRequests(target: ConformanceTarget): void {
  describe(`hostile requests: ${target.name}`, () => {
    const running: RunningApp[] = [];
    afterEach(async () => {
      await Promise.all(running.splice(0).map((app) => app.close()));
    });
    const routes: ConformanceRoutes = { slow: async () => {} };

    async function start(options: Record<string, unknown> = {}) {
      const registry = new Registry({ storage: false });
      const app = await target.start({ processMetrics: false, ...options, registry }, routes);
      running.push(app);
      const port = (app.server.address() as AddressInfo).port;
      const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const counted = async () => samplesOf(await scrape(), REQUESTS).reduce((sum, s) => sum + s.value, 0);
      return { port, scrape, counted };
    }

    /** Counting happens when the connection is done with the response: wait for it to settle. */
    async function settled(counted: () => Promise<number>, expected: number): Promise<number> {
      const until = Date.now() + 3000;
      let value = await counted();
      while (value !== expected && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        value = await counted();
      }
      return value;
    }

    it('counts requests the router rejects: bad percent-encoding and over-long parameters', async () => {
      const { port, counted } = await start();
      const bad = await rawGet(port, '/users/%E0%A4%A');
      const long = await rawGet(port, `/users/${'a'.repeat(300)}`);
      // Fastify's router answers 400 and 414 itself; Express and Koa route them as usual.
      expect(bad.status).toBeGreaterThanOrEqual(200);
      expect(long.status).toBeGreaterThanOrEqual(200);
      expect(await settled(counted, 2)).toBe(2);
    });

    it('serves the endpoint spelled /%6detrics or in absolute form, and never counts it', async () => {
      const { port, counted } = await start();
      for (const spelling of ['/%6detrics', 'http://127.0.0.1/metrics', '/metrics?x=1', '/%6D%65trics']) {
        const response = await rawGet(port, spelling);
        expect(response.status, spelling).toBe(200);
        expect(response.text, spelling).toContain('# TYPE http_requests_total counter');
      }
      await rawGet(port, '/users/1');
      expect(await settled(counted, 1)).toBe(1);
    });

    it('every one of 300 hostile targets is counted once, under bounded series, promtool clean', async () => {
      const { port, scrape, counted } = await start({ processMetrics: { names: 'promtool' } });
      const targets = hostileTargets(300);
      const statuses: number[] = [];
      for (let i = 0; i < targets.length; i += 10) {
        const batch = await Promise.all(targets.slice(i, i + 10).map((path) => rawGet(port, path)));
        statuses.push(...batch.map((r) => r.status));
      }
      // Node itself answers targets it cannot parse before any framework sees them: not ours to count.
      const answered = statuses.filter((status) => status >= 100).length;
      const unanswered = targets.filter((_, i) => statuses[i]! < 100);
      expect(answered).toBeGreaterThan(250);
      expect(await settled(counted, answered), `unanswered: ${JSON.stringify(unanswered)}`).toBe(answered);
      const text = await scrape();
      const series = samplesOf(text, REQUESTS);
      for (const sample of series)
        expect(ROUTES.has(sample.labels.route ?? ''), sample.labels.route).toBe(true);
      expect(series.length).toBeLessThan(40);
      expect(parseSamples(text).length).toBeGreaterThan(0);
      if (toolAvailable('promtool')) {
        const result = promtoolCheckMetrics(text);
        expect(result.output).toBe('');
        expect(result.ok).toBe(true);
      }
    });
  });
}
