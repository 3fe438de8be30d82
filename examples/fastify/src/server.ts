import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const app = createApp();
// Values also go to an mmstats file in $MMSTATS_PATH (default: a per-user directory under the OS
// temp dir), readable while the server runs.
await app.listen({ port, host: '127.0.0.1' });
console.log(`example-fastify on http://127.0.0.1:${port} (metrics: http://127.0.0.1:${port}/metrics)`);
console.log(`mmstats files: ${process.env.MMSTATS_PATH || 'the per-user directory under the OS temp dir'}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
