/**
 * A test application: a bare node:http server, instrumented as the adapters do unless
 * `metrics: false`, alone or as a node:cluster primary with workers. Its settings come as JSON in
 * argv[2]; it prints JSON lines: `{"listening":port,"pid"}` per server, `{"worker":pid}` per fork,
 * `{"spinning":pid}` when `GET /spin` starts blocking a server.
 */
import cluster from 'node:cluster';
import { createServer, type IncomingMessage } from 'node:http';
import '../../../src/index.js';
import { instrumentHttp } from '../../../src/http.js';

interface Settings {
  metrics?: boolean;
  /** How the app treats SIGTERM/SIGINT: no handler, a handler that closes and exits, or one that exits with 128+n. */
  handler?: 'none' | 'close' | 'exit-code';
  /** node:cluster workers; the primary replaces any that dies until told to stop (SIGTERM). */
  workers?: number;
  port?: number;
  app?: string;
  /** No process metrics: workers start faster (the restart tests fork hundreds). */
  lean?: boolean;
}

// PM2 runs the script through its own wrapper: the settings come in the environment there.
const settings = JSON.parse(process.argv[2] ?? process.env.MMSTATS_TEST_SETTINGS ?? '{}') as Settings;
const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

function serve(): void {
  const http =
    settings.metrics === false
      ? undefined
      : instrumentHttp<IncomingMessage>(
          {
            storage: settings.app === undefined ? undefined : { app: settings.app },
            processMetrics: settings.lean !== true,
          },
          'test-app',
        );
  const tracker = http?.createTracker<IncomingMessage>((req, _res, status, start) => {
    http!.metrics.end(req, req.method ?? 'GET', req.url?.split('?')[0], status, start);
  });
  const server = createServer(async (req, res) => {
    const url = req.url ?? '/';
    if (http?.isEndpoint(url)) {
      const out = await http.serve({
        method: req.method ?? 'GET',
        accept: undefined,
        authorization: undefined,
        req,
      });
      res.writeHead(out.status, out.headers).end(out.body);
      return;
    }
    if (url === '/spin') {
      // Blocks this worker, bounded, so a test can kill it between two callbacks: by then every
      // response it wrote has been counted (see the cluster kill test).
      say({ spinning: process.pid });
      const until = Date.now() + 10_000;
      while (Date.now() < until);
      res.destroy();
      return;
    }
    if (http !== undefined) tracker!.track(req, res, req, http.metrics.begin());
    const status = url.startsWith('/missing') ? 404 : url.startsWith('/fail') ? 500 : 200;
    res.writeHead(status, { connection: 'close' }).end('ok');
  });
  const onSignal = () => {
    if (settings.handler === 'close') server.close(() => process.exit(0));
    else process.exit(143);
  };
  if (settings.handler !== undefined && settings.handler !== 'none') {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
  server.listen(settings.port ?? 0, '127.0.0.1', () => {
    const address = server.address();
    say({ listening: typeof address === 'object' && address !== null ? address.port : 0, pid: process.pid });
  });
}

if (cluster.isPrimary && (settings.workers ?? 0) > 0) {
  let stopping = false;
  const fork = () => say({ worker: cluster.fork().process.pid });
  for (let i = 0; i < settings.workers!; i++) fork();
  cluster.on('exit', () => {
    if (!stopping) fork();
  });
  process.on('SIGTERM', () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    cluster.disconnect(() => process.exit(0));
  });
} else serve();
