import http from 'node:http';
import https from 'node:https';
import { gzipSync } from 'node:zlib';
import { MetricsError } from '../errors.js';

/** What a push resolves to, as in prom-client: the response and its body as text. */
export interface PushResult {
  resp: http.IncomingMessage;
  body: string;
}

/**
 * `http.request` options a push passes on, as prom-client passes its options: `timeout`,
 * `headers`, `agent`, `auth`, TLS options such as `ca` or `rejectUnauthorized`.
 */
export type PushRequestOptions = Omit<http.RequestOptions & https.RequestOptions, 'method' | 'path'>;

/** Default for how long a push may take, in milliseconds, when no `timeout` is given. */
const DEFAULT_TIMEOUT = 10_000;

function failure(method: string, url: string, reason: string): MetricsError {
  return new MetricsError('PUSH_FAILED', `Pushgateway ${method} ${url} failed: ${reason}`);
}

function headerValue(headers: http.OutgoingHttpHeaders | undefined, name: string): string | undefined {
  for (const key in headers) if (key.toLowerCase() === name) return String(headers[key]);
  return undefined;
}

/**
 * One request to the gateway through `node:http` / `node:https`, looked up on the module object at
 * call time: HTTP mocks (nock, `vi.spyOn(http, 'request')`, `jest.mock('http')`) and agents see it,
 * where the global `fetch` would bypass them all.
 */
export function pushRequest(
  method: 'POST' | 'PUT' | 'DELETE',
  url: URL,
  options: PushRequestOptions,
  body: string | undefined,
): Promise<PushResult> {
  const where = url.href;
  const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders) };
  let payload: string | Buffer | undefined = body;
  if (body === undefined) {
    // prom-client drops it too: a DELETE has no body to be encoded.
    for (const key of Object.keys(headers)) if (key.toLowerCase() === 'content-encoding') delete headers[key];
  } else {
    if (headerValue(headers, 'content-encoding') === 'gzip') payload = gzipSync(body);
    if (headerValue(headers, 'content-type') === undefined)
      headers['Content-Type'] = 'text/plain; version=0.0.4; charset=utf-8';
    headers['Content-Length'] = Buffer.byteLength(payload as string | Buffer);
  }
  const transport = url.protocol === 'https:' ? https : http;
  const timeout = options.timeout ?? DEFAULT_TIMEOUT;
  return new Promise<PushResult>((resolve, reject) => {
    let req: http.ClientRequest;
    try {
      req = transport.request(url, { ...options, method, headers, timeout }, (resp) => {
        let text = '';
        resp.setEncoding('utf8');
        resp.on('data', (chunk: string) => {
          text += chunk;
        });
        resp.on('error', (error) => reject(failure(method, where, error.message)));
        resp.on('end', () => {
          const status = resp.statusCode ?? 0;
          if (status >= 400) {
            reject(
              failure(
                method,
                where,
                `the gateway answered ${status}: ${text.trim() || resp.statusMessage || ''}`,
              ),
            );
          } else resolve({ resp, body: text });
        });
      });
    } catch (error) {
      reject(failure(method, where, (error as Error).message));
      return;
    }
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'ECONNREFUSED' ? 'connection refused (is the gateway running?)' : error.message;
      reject(failure(method, where, reason));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeout} ms (option timeout)`));
    });
    req.end(payload);
  });
}
