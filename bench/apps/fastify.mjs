/** Fastify 5 for bench/http.mjs: `node bench/apps/fastify.mjs <variant>`. */
import Fastify from 'fastify';
import {
  importProbe,
  ourOptions,
  runHarness,
  served,
  unknownVariant,
  variant,
} from '../lib/server-harness.mjs';

/**
 * Fastify's own probes that run our plugin, by their `storage` option (see ourOptions). For the
 * old 1 MiB default file size (bench/README.md): ours with its cells in a 1 MiB file, and ours in
 * memory with an unused 1 MiB buffer beside it. `probe-inflight-js`: ours with the in-flight
 * gauge counted in a JavaScript number instead of its mmstats cell.
 */
const OWN_STORAGE = {
  'probe-1mib-file': { segmentSize: 1024 * 1024 },
  'probe-1mib-buffer': false,
  'probe-inflight-js': undefined,
};

async function addMetrics(app) {
  if (variant === 'bare') return;
  const options = await ourOptions(OWN_STORAGE);
  if (options !== null) {
    if (variant === 'probe-1mib-buffer') globalThis.unusedBuffer = new Uint8Array(1024 * 1024);
    const { default: mmstats } = await import('@mmstats/fastify');
    await app.register(mmstats, options);
    if (variant === 'probe-inflight-js') {
      const { register } = await import('@mmstats/core');
      let inFlight = 0;
      register.getSingleMetric('http_requests_in_flight').labels().addD = (delta) => {
        inFlight += delta;
      };
      // Kept readable, as the gauge's value is, so the probe does the same work a real count would.
      globalThis.inFlight = () => inFlight;
    }
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
  // Probes for what observing a request costs on Fastify, step by step (bench/README.md): the
  // no-op hook plus a no-op subscriber of the channel our tracker hears responses end on.
  if (variant === 'probe-channel') {
    const { subscribe } = await import('node:diagnostics_channel');
    subscribe('http.server.response.finish', () => {});
    app.addHook('onRequest', (_request, _reply, done) => done());
    return;
  }
  // Our response tracking (the socket slot, the channel) without recording anything.
  if (variant === 'probe-track') {
    const { instrumentHttp } = await import('@mmstats/core/http');
    const tracker = instrumentHttp({ processMetrics: false, storage: false }, 'probe').createTracker(
      () => {},
    );
    app.addHook('onRequest', (request, reply, done) => {
      tracker.track(request.raw, reply.raw, reply, 0);
      done();
    });
    return;
  }
  // The same with a no-op onResponse hook instead of the subscriber.
  if (variant === 'probe-onresponse') {
    app.addHook('onRequest', (_request, _reply, done) => done());
    app.addHook('onResponse', (_request, _reply, done) => done());
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
