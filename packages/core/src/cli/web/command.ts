import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseCommandArgs, usageError } from '../args.js';
import {
  baseUrl,
  closeServer,
  type ListenAddress,
  listen,
  listenAddress,
  type RunningServer,
  runUntilSignal,
} from '../http-listen.js';
import { type CliIo, EXIT_FAILURE } from '../io.js';
import { checkTargets } from '../targets.js';
import { type Asset, loadAssets } from './assets.js';
import { EventStream } from './events.js';
import { pageSnapshot } from './snapshot.js';
import { aggregateStats, fieldListing, isAggregation } from './stats-endpoint.js';

export const WEB_USAGE = `Usage: mmstats web [--port 9465] [--host 127.0.0.1] [PATH...]

A live view of mmstats files in the browser, as the original mmstats' mmash was: one page listing
every field, grouped by app, process and metric family, updated every second; click a series to
chart its recent history (the rate of a counter, the value of a gauge, p50/p95/p99 of a
histogram). Files may come and go; a file that cannot be read is listed with the reason.
A PATH is a directory, a file or a quoted glob. Without PATH: $MMSTATS_GLOB, else
$MMSTATS_PATH/*.mmstats, else the per-user directory under the temp dir.

JSON, as mmash had:
  GET /stats/                            every numeric field label
  GET /stats/<prefix>?aggr=sum|avg|min|max
                                         the fields starting with <prefix>, combined across
                                         processes (default sum)
  GET /api/snapshot                      what the page shows

  --port N      TCP port (default 9465; 0 picks a free one)
  --host H      address to listen on (default 127.0.0.1, this machine only; any other address
                is reachable from elsewhere and prints a warning)
  -h, --help    this text

Stops on SIGINT or SIGTERM.
`;

export interface WebOptions {
  listen: ListenAddress;
  targets: string[] | undefined;
  shown: string;
  env: NodeJS.ProcessEnv;
  /** Time between live updates; default one second. */
  intervalMs?: number;
}

// The page loads only what this server serves, and no inline script runs, so a value in a file
// can never become code even if some page code put it in the DOM the wrong way.
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  // `<` and `&` escaped: the JSON is also safe if a browser is ever made to read it as HTML.
  const body = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
  res.writeHead(status, { ...PAGE_HEADERS, 'content-type': 'application/json; charset=utf-8' }).end(body);
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res
    .writeHead(status, { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers })
    .end(text);
}

/**
 * On loopback, only requests that name a loopback host: a web page elsewhere that points its own
 * name at 127.0.0.1 (DNS rebinding) must not read the metrics.
 */
function hostAllowed(req: IncomingMessage, listenHost: string): boolean {
  if (!LOOPBACK_NAMES.has(listenHost)) return true;
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
  return LOOPBACK_NAMES.has(name);
}

export async function startWeb(options: WebOptions): Promise<RunningServer> {
  const assets: Map<string, Asset> = loadAssets();
  const snapshot = () => pageSnapshot(options.targets, options.env, options.shown);
  const events = new EventStream(snapshot, options.intervalMs ?? 1000);
  const server = createServer((req, res) => {
    if (!hostAllowed(req, options.listen.host)) {
      sendText(res, 403, `Forbidden: open the page as http://${options.listen.host}:<port>/.\n`);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, `Method ${req.method} not allowed: use GET.\n`, { allow: 'GET, HEAD' });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const asset = assets.get(path);
    if (asset !== undefined) {
      res.writeHead(200, { ...PAGE_HEADERS, 'content-type': asset.contentType }).end(asset.body);
    } else if (path === '/api/events') {
      events.add(res);
    } else if (path === '/api/snapshot') {
      sendJson(res, 200, snapshot());
    } else if (path === '/stats' || path === '/stats/') {
      sendJson(res, 200, fieldListing(options.targets, options.env));
    } else if (path.startsWith('/stats/')) {
      const aggr = url.searchParams.get('aggr') ?? 'sum';
      if (!isAggregation(aggr)) {
        sendJson(res, 400, { error: `aggr=${aggr}: use sum, avg, min or max.` });
        return;
      }
      let prefix: string;
      try {
        prefix = decodeURIComponent(path.slice('/stats/'.length));
      } catch {
        sendJson(res, 400, { error: 'the field prefix is not valid percent-encoding.' });
        return;
      }
      sendJson(res, 200, aggregateStats(options.targets, options.env, prefix, aggr));
    } else {
      sendText(res, 404, 'Not found: the page is at /, JSON at /stats/ and /api/snapshot.\n');
    }
  });
  const address = await listen(server, options.listen, 'web');
  return {
    server,
    url: baseUrl(address),
    close: async () => {
      events.close();
      await closeServer(server);
    },
  };
}

export async function web(argv: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    { port: { type: 'string', short: 'p' }, host: { type: 'string' } },
    WEB_USAGE,
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const address = listenAddress(parsed.values, 9465);
  if (typeof address === 'string') return usageError(io, address, WEB_USAGE);
  const targets = checkTargets(parsed.positionals, io.env);
  if (typeof targets === 'string') {
    io.stderr(`mmstats web: ${targets}\n`);
    return EXIT_FAILURE;
  }
  return runUntilSignal(
    io,
    'web',
    address.host,
    () => startWeb({ listen: address, ...targets, env: io.env }),
    (url) => `${targets.shown} at ${url}/`,
  );
}
