import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { renderExposition } from '../exposition/render.js';
import { CachedReader, writtenByMmstats } from '../file-reader/cached-reader.js';
import { createMetricsEndpoint, isPath } from '../http/endpoint.js';
import type { MetricsAuth } from '../http/options.js';
import { type AppsView, appsExposition } from './apps-exposition.js';
import { parseCommandArgs, usageError } from './args.js';
import {
  baseUrl,
  closeServer,
  type ListenAddress,
  listen,
  listenAddress,
  type RunningServer,
  runUntilSignal,
} from './http-listen.js';
import { type CliIo, EXIT_FAILURE } from './io.js';
import { healthFamilies } from './serve-health.js';
import { checkTargets } from './targets.js';

export const SERVE_USAGE = `Usage: mmstats serve [--port 9464] [--host 127.0.0.1] [--path /metrics] [--app NAME] [PATH...]

A Prometheus exporter for mmstats files: serves the files of every app in PATH at /metrics, so
the app itself needs no metrics endpoint and no scrape ever runs on its event loop. Each app
(a file's mmstats.app field, else the {CMD} of mmstats-{CMD}-{PID}-{TID}.mmstats) is
aggregated as a cluster is: counters and histograms summed over its files, exited processes
included; gauges of running processes, one series each with a pid label. With several apps every series has an app label. Fields of the
original mmstats (no type) are exported as gauges named from their labels. Two gauges of its
own, mmstats_serve_files{app} and mmstats_serve_skipped_files, count what it read. The format is
negotiated (OpenMetrics for Prometheus, the text format otherwise). GET / says what is served.
A PATH is a directory, a file or a quoted glob. Without PATH: $MMSTATS_GLOB, else
$MMSTATS_PATH/*.mmstats, else the per-user directory under the temp dir.

  --port N              TCP port (default 9464; 0 picks a free one)
  --host H              address to listen on (default 127.0.0.1, this machine only; any other
                        address is reachable from elsewhere and prints a warning)
  --path P              path of the metrics (default /metrics)
  --app NAME            only the files of that application (their mmstats.app field)
  --bearer-file FILE    require "Authorization: Bearer <token>", the token read from FILE
  --basic-file FILE     require basic auth, "user:password" read from FILE
  -h, --help            this text

Stops on SIGINT or SIGTERM.
`;

export interface ServeOptions {
  listen: ListenAddress;
  targets: string[] | undefined;
  /** The directories or patterns read, for people. */
  shown: string;
  path?: string;
  /** Only this app's files. */
  app?: string;
  auth?: MetricsAuth<IncomingMessage>;
  env: NodeJS.ProcessEnv;
  /** Where problems with files go (a corrupt file, a directory gone), each reported once. */
  report?: (line: string) => void;
}

/** The exporter without the command line: tests and the command both start it here. */
export async function startServe(options: ServeOptions): Promise<RunningServer> {
  const path = options.path ?? '/metrics';
  const reported = new Set<string>();
  const report = (line: string) => {
    if (reported.has(line)) return;
    // Bounded: files that keep coming and going must not grow this for ever.
    if (reported.size >= 1000) reported.clear();
    reported.add(line);
    options.report?.(line);
  };
  // Scrapes read the same files again and again: only their values are read again.
  const cache = new CachedReader();
  const look = () =>
    appsExposition(options.targets, options.env, {
      read: (file) => cache.read(file, writtenByMmstats),
      app: options.app,
    });
  const registry = {
    metrics(format: 'text' | 'openmetrics') {
      const view = look();
      for (const { path: file, reason } of view.skipped) report(`skipping ${file}: ${reason}`);
      for (const conflict of view.conflicts) report(`leaving out ${conflict}`);
      return renderExposition([...view.families, ...healthFamilies(view)], format);
    },
  };
  const serve = createMetricsEndpoint<IncomingMessage>({ registry, auth: options.auth ?? null });
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (isPath(url, path)) {
      const { accept, authorization } = req.headers;
      void serve({ method: req.method ?? 'GET', accept, authorization, req }).then((out) => {
        res.writeHead(out.status, out.headers).end(out.body);
      });
      return;
    }
    const text = { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' };
    if (url === '/' || url.startsWith('/?')) {
      // With auth on, file paths and app names are for those who may scrape.
      const body = options.auth
        ? `mmstats serve: Prometheus metrics at ${path}, for authenticated scrapers.\n`
        : describe(options, path, look());
      res.writeHead(200, text).end(body);
      return;
    }
    res.writeHead(404, text).end(`Not found: metrics are at ${path}, a description at /\n`);
  });
  const address = await listen(server, options.listen, 'serve');
  return { server, url: baseUrl(address), close: () => closeServer(server) };
}

/** The text of `/`: what is read, how it is aggregated, and what was skipped just now. */
function describe(options: ServeOptions, path: string, view: AppsView): string {
  let out = `mmstats serve: a Prometheus exporter for mmstats files.\n\nMetrics: ${path}\nReading: ${options.shown}${options.app === undefined ? '' : `, app ${options.app} only`}\n`;
  out += `Aggregated per app as a cluster is${view.apps.size > 1 ? ', with an app label' : ''}.\n\n`;
  if (view.apps.size === 0) out += 'No readable mmstats files right now.\n';
  for (const [app, files] of view.apps) out += `app ${app}: ${files.length} file(s)\n`;
  for (const { path: file, reason } of view.skipped) out += `skipped ${file}: ${reason}\n`;
  for (const conflict of view.conflicts) out += `left out: ${conflict}\n`;
  return out;
}

function readSecret(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(
      `cannot read ${what} file ${file} (${(error as NodeJS.ErrnoException).code ?? error}): check the path and its permissions.`,
    );
  }
  const line = text.split(/\r?\n/)[0]!.trim();
  if (line === '') throw new Error(`${what} file ${file} is empty: write the secret on its first line.`);
  return line;
}

function authOf(
  values: Record<string, string | boolean | undefined>,
): MetricsAuth<IncomingMessage> | undefined {
  const bearer = values['bearer-file'];
  const basic = values['basic-file'];
  if (typeof bearer === 'string' && typeof basic === 'string') {
    throw new Error('use --bearer-file or --basic-file, not both.');
  }
  if (typeof bearer === 'string') return { bearer: readSecret(bearer, 'bearer token') };
  if (typeof basic !== 'string') return undefined;
  const pair = readSecret(basic, 'basic auth');
  const colon = pair.indexOf(':');
  if (colon <= 0) throw new Error(`basic auth file ${basic} must hold "user:password" on its first line.`);
  return { basic: { username: pair.slice(0, colon), password: pair.slice(colon + 1) } };
}

export async function serve(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      path: { type: 'string' },
      'bearer-file': { type: 'string' },
      'basic-file': { type: 'string' },
      app: { type: 'string' },
    },
    SERVE_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const address = listenAddress(parsed.values, 9464);
  if (typeof address === 'string') return usageError(io, address, SERVE_USAGE);
  const path = (parsed.values.path as string | undefined) ?? '/metrics';
  if (!/^\/[^?#\s]*$/.test(path) || path === '/') {
    return usageError(
      io,
      `--path ${path}: use a path such as /metrics (not /, no ?, # or spaces)`,
      SERVE_USAGE,
    );
  }
  let auth: MetricsAuth<IncomingMessage> | undefined;
  try {
    auth = authOf(parsed.values);
  } catch (error) {
    return usageError(io, (error as Error).message, SERVE_USAGE);
  }
  const targets = checkTargets(parsed.positionals, io.env);
  if (typeof targets === 'string') {
    io.stderr(`mmstats serve: ${targets}\n`);
    return EXIT_FAILURE;
  }
  return runUntilSignal(
    io,
    'serve',
    address.host,
    () =>
      startServe({
        listen: address,
        ...targets,
        path,
        app: parsed.values.app as string | undefined,
        auth,
        env: io.env,
        report: (line) => io.stderr(`mmstats serve: ${line}\n`),
      }),
    (url) => `metrics of ${targets.shown} at ${url}${path}`,
  );
}
