import { createHash, timingSafeEqual } from 'node:crypto';
import { negotiate } from '../exposition/negotiation.js';
import type { Registry } from '../metrics/registry.js';
import type { MetricsAuth } from './options.js';

/**
 * What a framework writes back: status, headers and a body, whatever happened. A scrape's body
 * is UTF-8 bytes (a Buffer), so a big exposition is never made into one string; errors are text.
 */
export interface MetricsResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** The parts of a request the endpoint looks at; `req` is handed to an auth predicate. */
export interface MetricsRequest<Req = unknown> {
  method: string;
  accept: string | undefined;
  authorization: string | undefined;
  req: Req;
}

export interface MetricsEndpointOptions<Req = unknown> {
  /** A Registry, `clusterMetrics(registry)`, or anything with `metrics(format)`. */
  registry: Pick<Registry, 'metrics'> & Partial<Pick<Registry, 'renderInSlices'>>;
  auth?: MetricsAuth<Req> | null;
}

const TEXT = 'text/plain; charset=utf-8';

function text(status: number, body: string, headers: Record<string, string> = {}): MetricsResponse {
  return { status, headers: { 'content-type': TEXT, 'cache-control': 'no-store', ...headers }, body };
}

/** Equal-time comparison of secrets: hashing first makes the lengths equal too. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The credentials part of an Authorization header for a scheme (case-insensitive), or null. */
function credentials(header: string | undefined, scheme: string): string | null {
  if (header === undefined || header.length <= scheme.length) return null;
  if (header.slice(0, scheme.length + 1).toLowerCase() !== `${scheme.toLowerCase()} `) return null;
  return header.slice(scheme.length + 1).trim();
}

function checkBasic(header: string | undefined, username: string, password: string): boolean {
  const encoded = credentials(header, 'Basic');
  if (encoded === null) return false;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  // Both compared, always, so the time taken does not tell which one was wrong.
  const userOk = sameSecret(decoded.slice(0, colon), username);
  const passOk = sameSecret(decoded.slice(colon + 1), password);
  return userOk && passOk;
}

/** null when allowed, else the refusal to send. */
async function authorize<Req>(
  auth: MetricsAuth<Req> | null | undefined,
  request: MetricsRequest<Req>,
): Promise<MetricsResponse | null> {
  if (auth === null || auth === undefined) return null;
  if (typeof auth === 'function') {
    let allowed = false;
    try {
      allowed = (await auth(request.req)) === true;
    } catch {
      allowed = false;
    }
    // A predicate names no scheme we could challenge with, so 403 rather than 401.
    return allowed ? null : text(403, 'Forbidden: the metrics auth predicate refused this request.\n');
  }
  if ('bearer' in auth) {
    const token = credentials(request.authorization, 'Bearer');
    if (token !== null && sameSecret(token, auth.bearer)) return null;
    return text(401, 'Unauthorized: send "Authorization: Bearer <token>".\n', {
      'www-authenticate': 'Bearer realm="metrics"',
    });
  }
  if (checkBasic(request.authorization, auth.basic.username, auth.basic.password)) return null;
  return text(401, 'Unauthorized: send basic credentials.\n', {
    'www-authenticate': 'Basic realm="metrics", charset="UTF-8"',
  });
}

/**
 * Serves a registry: auth, then content negotiation (OpenMetrics when the Accept header asks for
 * it, as Prometheus does; the text format otherwise), then rendering. Never throws or rejects:
 * a failure to collect or render becomes a 500 with a text body, so a scrape cannot take the
 * application down.
 */
export function createMetricsEndpoint<Req = unknown>(
  options: MetricsEndpointOptions<Req>,
): (request: MetricsRequest<Req>) => Promise<MetricsResponse> {
  const { registry, auth } = options;
  return async (request) => {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return text(405, `Method ${request.method} not allowed on the metrics endpoint: use GET.\n`, {
          allow: 'GET, HEAD',
        });
      }
      const refused = await authorize(auth, request);
      if (refused !== null) return refused;
      const { format, contentType } = negotiate(request.accept);
      // A registry renders in slices here, so a big scrape does not stall the requests being served.
      const body =
        registry.renderInSlices !== undefined
          ? await registry.renderInSlices(format)
          : await registry.metrics(format);
      return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return text(500, `Error collecting metrics: ${message}\n`);
    }
  };
}

/** Whether a request URL (path plus query) is exactly `path`, ignoring the query; allocation-free. */
export function isPath(url: string, path: string): boolean {
  return url.startsWith(path) && (url.length === path.length || url.charCodeAt(path.length) === 63);
}

/** The path of a request URL without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
