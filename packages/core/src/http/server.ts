import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsError } from '../errors.js';
import { clusterMetrics } from '../file-reader/cluster-metrics.js';
import type { Registry } from '../metrics/registry.js';
import { createMetricsEndpoint } from './endpoint.js';
import { isEndpointTarget } from './endpoint-path.js';
import { type MetricsAuth, resolveHttpOptions } from './options.js';

export interface MetricsServerOptions {
  /** TCP port; 0 picks a free one. Default 9464 (the OpenTelemetry Prometheus exporter's). */
  port?: number;
  /** Address to bind; default 127.0.0.1, so metrics are not exposed beyond the host by accident. */
  host?: string;
  /** Default: the default registry. */
  registry?: Registry;
  auth?: MetricsAuth<IncomingMessage>;
  /** Default `/metrics`; other paths answer 404. */
  path?: string;
  /** Serve the sum over every worker's files (see `clusterMetrics`); default true in a cluster or PM2 worker. */
  aggregate?: boolean;
}

export interface MetricsServer {
  readonly server: Server;
  /** The bound address, with the port actually chosen when `port` was 0. */
  readonly address: AddressInfo;
  /** `http://host:port/path`, ready to scrape. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const NAME = 'startMetricsServer';

function checkPort(port: unknown): number {
  if (port === undefined) return 9464;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) return port;
  throw new MetricsError(
    'INVALID_OPTION',
    `${NAME}: port ${JSON.stringify(port)} must be a whole number from 0 to 65535 (0 picks a free port).`,
  );
}

function checkHost(host: unknown): string {
  if (host === undefined) return '127.0.0.1';
  if (typeof host === 'string' && host !== '') return host;
  throw new MetricsError(
    'INVALID_OPTION',
    `${NAME}: host ${JSON.stringify(host)} must be a non-empty string like "127.0.0.1".`,
  );
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      reject(
        new MetricsError(
          'INVALID_OPTION',
          `${NAME}: cannot listen on ${host}:${port} (${error.code ?? error.message}). Choose another port or host, or port 0 for any free port.`,
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Serves a registry's metrics on a port of its own, apart from the application (so the
 * application port needs no metrics route and the two can be firewalled separately).
 */
export async function startMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const port = checkPort(options.port);
  const host = checkHost(options.host);
  const resolved = resolveHttpOptions<IncomingMessage>(
    { path: options.path, registry: options.registry, auth: options.auth, aggregate: options.aggregate },
    NAME,
  );
  const path = resolved.path ?? '/metrics';
  const serve = createMetricsEndpoint<IncomingMessage>({
    registry: resolved.aggregate ? clusterMetrics(resolved.registry) : resolved.registry,
    auth: resolved.auth,
  });
  const server = createServer((req, res) => {
    if (!isEndpointTarget(req.url ?? '/', path)) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end(`Not found: metrics are at ${path}\n`);
      return;
    }
    const authorization = req.headers.authorization;
    void serve({ method: req.method ?? 'GET', accept: req.headers.accept, authorization, req }).then(
      (out) => {
        res.writeHead(out.status, out.headers).end(out.body);
      },
    );
  });
  await listen(server, port, host);
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    address,
    url: `http://${shownHost}:${address.port}${path}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
