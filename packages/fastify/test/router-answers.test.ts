import type { AddressInfo } from 'node:net';
import { rawGet, sampleValue } from '@mmstats/test-utils';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it, vi } from 'vitest';
import mmstats from '../dist/index.js';

// Issue 19: Fastify answers a bad percent-encoding (400) and an over-long parameter (414) in its
// router, before any hook; with `frameworkErrors` the application answers them itself. Counted
// either way, under __unmatched__, and nothing stays in flight.
for (const [name, framework] of [
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4],
] as const) {
  describe(`${name}: requests its router answers`, () => {
    for (const custom of [false, true]) {
      it(`are counted${custom ? ' when frameworkErrors answers them' : ''}`, async () => {
        const answer = (
          _error: unknown,
          _request: unknown,
          reply: { code(n: number): { send(b: string): void } },
        ) => reply.code(400).send('bad url');
        const options = { logger: false, ...(custom ? { frameworkErrors: answer } : {}) };
        const app = (framework as typeof fastify5)(options as { logger: false });
        await app.register(mmstats, { storage: false, processMetrics: false, statusCodes: 'exact' });
        app.get<{ Params: { id: string } }>('/users/:id', async (request) => ({ id: request.params.id }));
        await app.listen({ port: 0, host: '127.0.0.1' });
        try {
          const port = (app.server.address() as AddressInfo).port;
          // Fastify 5 answers 414 to the long parameter, Fastify 4 a 404: counted all the same.
          expect((await rawGet(port, '/users/%E0%A4%A')).status).toBe(400);
          expect((await rawGet(port, `/users/${'a'.repeat(300)}`)).status).toBeGreaterThanOrEqual(400);
          await vi.waitFor(
            async () => {
              const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
              const unmatched = [
                ...text.matchAll(/^http_requests_total\{[^}]*route="__unmatched__"[^}]*\} (\S+)$/gm),
              ];
              expect(unmatched.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(2);
              expect(
                sampleValue(text, 'http_requests_total', { route: '__unmatched__', status: '400' }),
              ).toBeGreaterThanOrEqual(1);
              expect(sampleValue(text, 'http_requests_in_flight')).toBe(0);
            },
            { timeout: 3000, interval: 20 },
          );
        } finally {
          app.server.closeAllConnections();
          await app.close();
        }
      });
    }
  });
}
