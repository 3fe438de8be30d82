/** Fastify 5 for bench/http.mjs: `node bench/apps/fastify.mjs <variant>`. */
import Fastify from 'fastify';
import { importProbe, runHarness, served, unknownVariant, variant } from '../lib/server-harness.mjs';

async function addMetrics(app) {
  if (variant === 'bare') return;
  if (variant === 'ours' || variant === 'ours-memory') {
    const { default: mmstats } = await import('@mmstats/fastify');
    await app.register(mmstats, {
      processMetrics: false,
      ...(variant === 'ours-memory' ? { storage: false } : {}),
    });
    return;
  }
  if (variant === 'alternative') {
    const { default: fastifyMetrics } = await import('fastify-metrics');
    // Route metrics as shipped (histogram + summary); default process metrics off, as for ours.
    await app.register(fastifyMetrics, { endpoint: '/metrics', defaultMetrics: { enabled: false } });
    return;
  }
  // Probe for what Fastify itself charges for one hook (bench/README.md): a no-op onRequest hook.
  if (variant === 'probe-hook') {
    app.addHook('onRequest', (_request, _reply, done) => done());
    return;
  }
  if (await importProbe()) return;
  throw unknownVariant('fastify');
}

const app = Fastify({ logger: false });
await addMetrics(app);
app.get('/users/:id', async (request) => {
  served.count++;
  return { id: request.params.id };
});
await app.listen({ port: 0, host: '127.0.0.1' });
runHarness(app.server.address().port, () => app.close());
