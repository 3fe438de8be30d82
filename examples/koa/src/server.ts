import { createApp } from './app.js';

const port = Number(process.env.PORT ?? 3000);
// Values also go to an mmstats file in $MMSTATS_PATH (default: a per-user directory under the OS
// temp dir), readable while the server runs.
const server = createApp().listen(port, '127.0.0.1', () => {
  console.log(`example-koa on http://127.0.0.1:${port} (metrics: http://127.0.0.1:${port}/metrics)`);
  console.log(`mmstats files: ${process.env.MMSTATS_PATH || 'the per-user directory under the OS temp dir'}`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
